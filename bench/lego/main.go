// legobench: the lego peer of renewer's benchmark (bench/run.py).
//
// The lego CLI cannot be installed here (the module proxy refuses about 40 of
// its DNS providers' dependencies), but lego v5's core packages build. This
// program drives them the way the CLI does: one account, then one Obtain per
// certificate, DNS-01 through an RFC 2136 (TSIG) provider written here (lego v5
// ships none) against the same BIND the other tools use, and lego's own
// propagation check asking that BIND. bench/run.py runs it once per certificate
// ("loop", as users run the CLI) or once for every certificate, all obtained
// concurrently in one process ("parallel", lego as a library at its best).
// -mode drill is bench/drill.py's mass-revocation drill (drill.go).
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/dns01"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/registration"
	"github.com/miekg/dns"
)

type user struct {
	key          crypto.Signer
	registration *acme.ExtendedAccount
}

func (u *user) GetEmail() string                       { return "" }
func (u *user) GetRegistration() *acme.ExtendedAccount { return u.registration }
func (u *user) GetPrivateKey() crypto.Signer           { return u.key }

// rfc2136 adds and removes one TXT value per call (RFC 2136 UPDATE, TSIG-signed).
type rfc2136 struct {
	server, keyName, secret, algorithm, zone string
}

func (p *rfc2136) update(fqdn, value string, add bool) error {
	rr := &dns.TXT{
		Hdr: dns.RR_Header{Name: fqdn, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
		Txt: []string{value},
	}
	m := new(dns.Msg)
	m.SetUpdate(p.zone)
	if add {
		m.Insert([]dns.RR{rr})
	} else {
		m.Remove([]dns.RR{rr})
	}
	m.SetTsig(p.keyName, p.algorithm, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{p.keyName: p.secret}, Timeout: 10 * time.Second}
	reply, _, err := c.Exchange(m, p.server)
	if err != nil {
		return err
	}
	if reply.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("rfc2136: %s", dns.RcodeToString[reply.Rcode])
	}
	return nil
}

func (p *rfc2136) Present(ctx context.Context, domain, _, keyAuth string) error {
	info := dns01.GetChallengeInfo(ctx, domain, keyAuth)
	return p.update(info.EffectiveFQDN, info.Value, true)
}

func (p *rfc2136) CleanUp(ctx context.Context, domain, _, keyAuth string) error {
	info := dns01.GetChallengeInfo(ctx, domain, keyAuth)
	return p.update(info.EffectiveFQDN, info.Value, false)
}

// Timeout: how long lego's propagation check polls, and how often (as renewer's 0.1 s).
func (p *rfc2136) Timeout() (time.Duration, time.Duration) {
	return 30 * time.Second, 100 * time.Millisecond
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "legobench: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	directory := flag.String("directory", "", "ACME directory URL")
	caBundle := flag.String("ca-bundle", "", "PEM trust for the CA's TLS")
	nameserver := flag.String("nameserver", "", "BIND host:port")
	keyName := flag.String("tsig-name", "", "TSIG key name")
	algorithm := flag.String("tsig-algorithm", "hmac-sha256", "TSIG algorithm")
	zone := flag.String("zone", "example.test", "the zone updated")
	out := flag.String("out", "", "folder for the issued certificates")
	mode := flag.String("mode", "obtain", "obtain (every domain, concurrently) or drill (drill.go)")
	concurrency := flag.Int("concurrency", 0, "drill: renewals in flight at once (0: all)")
	issueAt := flag.Int("issue-concurrency", 50, "drill: first issuances in flight at once (0: all)")
	flag.Parse()
	domains := flag.Args()
	secret := os.Getenv("TSIG_SECRET")
	if *directory == "" || *nameserver == "" || *out == "" || len(domains) == 0 || secret == "" {
		fail("usage: TSIG_SECRET=… legobench -directory URL -nameserver H:P -tsig-name N -out DIR DOMAIN...")
	}

	pool := x509.NewCertPool()
	if *caBundle != "" {
		pem, err := os.ReadFile(*caBundle)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			fail("cannot read CA bundle %s", *caBundle)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fail("account key: %v", err)
	}
	u := &user{key: key}
	config := lego.NewConfig(u)
	config.CADirURL = *directory
	config.HTTPClient = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	client, err := lego.NewClient(config)
	if err != nil {
		fail("client: %v", err)
	}
	dns01.SetDefaultClient(dns01.NewClient(&dns01.Options{
		RecursiveNameservers: []string{*nameserver},
		Timeout:              5 * time.Second,
	}))
	provider := &rfc2136{server: *nameserver, keyName: dns.Fqdn(*keyName), secret: secret,
		algorithm: dns.Fqdn(strings.ToLower(*algorithm)), zone: dns.Fqdn(*zone)}
	// BIND is the zone's only server; lego asks it as the recursive resolver.
	err = client.Challenge.SetDNS01Provider(provider, dns01.DisableAuthoritativeNssPropagationRequirement())
	if err != nil {
		fail("provider: %v", err)
	}
	ctx := context.Background()
	reg, err := client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
	if err != nil {
		fail("register: %v", err)
	}
	u.registration = reg

	if *mode == "drill" {
		drill(ctx, client, domains, *out, *issueAt, *concurrency)
		return
	}
	if _, failed := obtainAll(ctx, client, domains, *out, 0); failed > 0 {
		os.Exit(1)
	}
}

// obtainAll obtains one certificate per domain, at most limit at a time (0: all at
// once), and writes each bundle to out/DOMAIN.crt. It returns the resources by
// domain and how many failed.
func obtainAll(ctx context.Context, client *lego.Client, domains []string, out string, limit int) (map[string]*certificate.Resource, int) {
	issued := make(map[string]*certificate.Resource, len(domains))
	if limit <= 0 {
		limit = len(domains)
	}
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, domain := range domains {
		wg.Add(1)
		slots <- struct{}{}
		go func(domain string) {
			defer func() { <-slots; wg.Done() }()
			res, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: []string{domain}, Bundle: true, KeyType: certcrypto.EC256})
			if err == nil {
				err = os.WriteFile(filepath.Join(out, domain+".crt"), res.Certificate, 0o644)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				issued[domain] = res
			} else {
				failed++
				fmt.Fprintf(os.Stderr, "legobench: %s: %v\n", domain, err)
			}
		}(domain)
	}
	wg.Wait()
	return issued, failed
}
