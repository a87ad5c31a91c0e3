package main

// The mass-revocation drill for lego (bench/drill.py), in one process:
//
//  1. obtain every certificate, -issue-concurrency at a time (untimed; 500 at
//     once stalled the rig's Pebble, which then answered no request within
//     lego's 30 s HTTP timeout);
//  2. print "issued N" and wait for a line on stdin: meanwhile the harness moves
//     each certificate's ARI window into the past through Pebble's management
//     /set-renewal-info, exactly as it does for renewer;
//  3. timed: for each certificate, ask the CA for its renewal info with lego's
//     Certifier.GetRenewalInfo, let RenewalInfo.ShouldRenewAt decide, and obtain
//     the replacement with ObtainRequest.ReplacesCertID set (RFC 9773 §5), which
//     is how lego's own `renew` command uses these APIs, at most -concurrency at
//     a time (0: all at once). A new key per certificate, as lego's renew does
//     unless told to reuse the key.
//
// Phase 3 is measured from inside (the process also did phase 1): wall time,
// user+system CPU as a getrusage delta, and peak RSS as VmHWM after resetting it
// through /proc/self/clear_refs at the start of the phase (Linux ≥ 4.0), so it is
// the phase's own peak. The result is one JSON line on stdout.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-acme/lego/v5/acme/api"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/lego"
	legolog "github.com/go-acme/lego/v5/log"
)

type drillResult struct {
	Issued    int     `json:"issued"`
	Asked     int     `json:"ari_asked"`  // GetRenewalInfo answered
	Due       int     `json:"due"`        // ShouldRenewAt said now
	Renewed   int     `json:"renewed"`    // replacement obtained with ReplacesCertID
	Failed    int     `json:"failed"`     // any step failed
	Wall      float64 `json:"wall"`       // seconds
	CPU       float64 `json:"cpu"`        // seconds, user + system
	RSSMB     float64 `json:"rss_mb"`     // peak resident set of the phase
	RSSSource string  `json:"rss_source"` // VmHWM (phase) or ru_maxrss (whole process)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// resetPeakRSS makes VmHWM start again from the current RSS ("5" to clear_refs).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the phase's peak (VmHWM) when it could be reset, else the process's.
func peakRSS(reset bool) (float64, string) {
	if reset {
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
					if err == nil {
						return float64(kb) / 1024, "VmHWM"
					}
				}
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024, "ru_maxrss"
}

// renewOne is one certificate's phase 3: ARI, the decision, the replacement.
func renewOne(ctx context.Context, client *lego.Client, domain string, res *certificate.Resource, out string, r *drillResult, mu *sync.Mutex) error {
	leaf, err := certcrypto.ParsePEMCertificate(res.Certificate)
	if err != nil {
		return err
	}
	info, err := client.Certificate.GetRenewalInfo(ctx, leaf)
	if err != nil {
		return fmt.Errorf("renewal info: %w", err)
	}
	mu.Lock()
	r.Asked++
	mu.Unlock()
	now := time.Now()
	at := info.ShouldRenewAt(now, 0)
	if at == nil || at.After(now) {
		return errors.New("renewal info: not due (the window was not moved?)")
	}
	mu.Lock()
	r.Due++
	mu.Unlock()
	replaces, err := api.MakeARICertID(leaf)
	if err != nil {
		return err
	}
	renewed, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{
		Domains: certcrypto.ExtractDomains(leaf), Bundle: true, KeyType: certcrypto.EC256,
		ReplacesCertID: replaces,
	})
	if err != nil {
		return err
	}
	name := filepath.Join(out, domain+".renewed.crt")
	if err := os.WriteFile(name, renewed.Certificate, 0o644); err != nil {
		return err
	}
	mu.Lock()
	r.Renewed++
	mu.Unlock()
	return nil
}

func drill(ctx context.Context, client *lego.Client, domains []string, out string, issueAt, concurrency int) {
	// lego logs to stdout; stdout here is the harness's channel. Same handler, stderr.
	legolog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	issued, failed := obtainAll(ctx, client, domains, out, issueAt)
	if failed > 0 {
		fail("drill: %d of %d first issuances failed", failed, len(domains))
	}
	fmt.Printf("issued %d\n", len(issued))
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fail("drill: waiting for the harness: %v", err)
	}

	r := drillResult{Issued: len(issued)}
	reset := resetPeakRSS()
	cpu0, started := cpuSeconds(), time.Now()
	if concurrency <= 0 {
		concurrency = len(domains)
	}
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, domain := range domains {
		wg.Add(1)
		slots <- struct{}{}
		go func(domain string) {
			defer func() { <-slots; wg.Done() }()
			if err := renewOne(ctx, client, domain, issued[domain], out, &r, &mu); err != nil {
				mu.Lock()
				r.Failed++
				mu.Unlock()
				fmt.Fprintf(os.Stderr, "legobench: drill: %s: %v\n", domain, err)
			}
		}(domain)
	}
	wg.Wait()
	r.Wall, r.CPU = time.Since(started).Seconds(), cpuSeconds()-cpu0
	r.RSSMB, r.RSSSource = peakRSS(reset)
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
	if r.Failed > 0 {
		os.Exit(1)
	}
}
