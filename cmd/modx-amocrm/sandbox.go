package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// defaultSandboxToken is the long-lived token the sandbox accepts unless
// -token names others; it is a test credential, printed on start.
const defaultSandboxToken = "sandbox-long-lived-token"

// tokenList is a repeatable -token flag.
type tokenList []string

func (l *tokenList) String() string     { return strings.Join(*l, ",") }
func (l *tokenList) Set(v string) error { *l = append(*l, v); return nil }

// runSandbox serves the amoCRM emulator until ctx ends, then saves its state.
func runSandbox(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("sandbox", io)
	listen := fs.String("listen", "127.0.0.1:8099", "address to serve on")
	var tokens tokenList
	fs.Var(&tokens, "token", "long-lived bearer token to accept (repeatable; default "+defaultSandboxToken+")")
	seedPath := fs.String("seed", "", "JSON file replacing the default account (pipelines, users, custom_fields, catalogs, task_types)")
	noProducts := fs.Bool("no-products", false, "start from the default account without its products list (a regular list instead)")
	rps := fs.Float64("rps", 7, "requests per second per token before 429; 0 disables")
	statePath := fs.String("state", "", "file keeping account, entities and tokens across restarts")
	opts := sandbox.Options{}
	fs.StringVar(&opts.Subdomain, "subdomain", "example", "account subdomain")
	fs.StringVar(&opts.ClientID, "client-id", sandbox.DefaultClientID, "OAuth client id")
	fs.StringVar(&opts.ClientSecret, "client-secret", sandbox.DefaultClientSecret, "OAuth client secret")
	fs.StringVar(&opts.AuthCode, "auth-code", sandbox.DefaultAuthCode, "authorization code (valid 20 minutes, once)")
	fs.StringVar(&opts.RedirectURI, "redirect-uri", sandbox.DefaultRedirectURI, "OAuth redirect URI")
	var faults sandbox.Faults
	fs.Float64Var(&faults.ErrorRate, "fail-rate", 0, "share of API requests answered 500/502/503 (0..1)")
	fs.DurationVar(&faults.Latency, "latency", 0, "delay before every response")
	fs.IntVar(&faults.DropAfterWrite, "drop-after-write", 0, "store the next N writes, then drop their connections")
	fs.IntVar(&faults.BatchLimit, "batch-limit", 0, "answer 504 to writes with more items than this (0: off)")
	strict := fs.Bool("strict", false, "every behaviour the documentation leaves open at its pessimistic side: -search-lag (1m unless set), -search-no-fields, -filters-ignored, -no-request-id, -unsorted-duplicates, -links-strict")
	modeFlags(fs, &opts.Modes)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *strict {
		opts.Modes = opts.Modes.Strict()
	}
	if len(tokens) == 0 {
		tokens = tokenList{defaultSandboxToken}
	}
	opts.LongLivedTokens = tokens
	opts.RPS = *rps
	if *rps == 0 {
		opts.RPS = -1 // Options reads 0 as "default"
	}
	opts.StatePath = *statePath
	opts.Logger = slog.New(slog.NewTextHandler(io.Stderr, nil))
	if *noProducts {
		opts.Seed = sandbox.SeedWithoutProducts()
		opts.Seed.Account.Subdomain = opts.Subdomain
	}
	if *seedPath != "" {
		seed, err := sandbox.LoadSeed(*seedPath)
		if err != nil {
			return err
		}
		opts.Seed = seed
	}
	srv, err := sandbox.New(opts)
	if err != nil {
		return err
	}
	srv.SetFaults(faults)
	return serveSandbox(ctx, io, srv, *listen, opts)
}

// modeFlags binds the sandbox's strict modes to flags; internal/sandbox's
// doc.go gives the source of each.
func modeFlags(fs *flag.FlagSet, m *sandbox.Modes) {
	fs.DurationVar(&m.SearchLag, "search-lag", 0, "query finds nothing written less than this long ago")
	fs.BoolVar(&m.SearchNoFields, "search-no-fields", false, "query never matches custom-field values (phones, e-mails, order numbers)")
	fs.BoolVar(&m.FiltersIgnored, "filters-ignored", false, "ignore filter[...] and answer the whole list (an account without the filter alpha)")
	fs.BoolVar(&m.NoFilterFlag, "no-filter-flag", false, "never answer is_api_filter_enabled on GET /api/v4/account, even when asked")
	fs.BoolVar(&m.NoRequestID, "no-request-id", false, "validation errors name no request_id")
	fs.BoolVar(&m.UnsortedDuplicates, "unsorted-duplicates", false, "store a repeated unsorted source_uid and tag its leads "+sandbox.DuplicateTag+" instead of refusing it")
	fs.BoolVar(&m.DuplicateControl, "duplicate-control", false, "leads/complex merges a lead whose contact's phone or e-mail is known, answering merged: true")
	fs.BoolVar(&m.Error244, "error-244", false, "answer every write 400 \"Код ошибки 244\" (unpaid account or no rights)")
	fs.IntVar(&m.BlockAfter429, "block-after-429", 0, "after this many 429s within a minute, answer 403 to everything (0: never)")
	fs.DurationVar(&m.BlockFor, "block-for", sandbox.DefaultBlockFor, "how long a -block-after-429 block lasts")
	fs.BoolVar(&m.NoLists, "no-lists", false, "the plan has no lists: answer 403 to lists and to links of list elements")
	fs.BoolVar(&m.LinksStrict, "links-strict", false, "linking an element again adds to its quantity; unlinking what is not linked is refused")
}

func serveSandbox(ctx context.Context, io IO, srv *sandbox.Server, addr string, opts sandbox.Options) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(io.Stdout, "amoCRM sandbox (test credentials)\n")
	fmt.Fprintf(io.Stdout, "  url            http://%s\n", ln.Addr())
	fmt.Fprintf(io.Stdout, "  client_id      %s\n  client_secret  %s\n  auth_code      %s\n  redirect_uri   %s\n",
		opts.ClientID, opts.ClientSecret, opts.AuthCode, opts.RedirectURI)
	for _, t := range opts.LongLivedTokens {
		fmt.Fprintf(io.Stdout, "  token          %s\n", t)
	}
	fmt.Fprintf(io.Stdout, "  modes          %s\n", opts.Modes)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return srv.Save()
}
