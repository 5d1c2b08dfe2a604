package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sandboxCommand runs `modx-amocrm sandbox args...` on a free port until
// stop, which returns the command's error.
type sandboxCommand struct {
	base   string
	stdout lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

func startSandboxCommand(t *testing.T, args ...string) *sandboxCommand {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sc := &sandboxCommand{cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(cancel)
	var stderr lockedBuffer
	go func() {
		sc.done <- runSandbox(ctx, IO{Stdout: &sc.stdout, Stderr: &stderr}, append([]string{"-listen", "127.0.0.1:0"}, args...))
	}()
	urlRe := regexp.MustCompile(`url\s+(http://\S+)`)
	for deadline := time.Now().Add(5 * time.Second); sc.base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(sc.stdout.String()); m != nil {
			sc.base = m[1]
		}
	}
	if sc.base == "" {
		t.Fatalf("no url printed; stdout %q stderr %q", sc.stdout.String(), stderr.String())
	}
	return sc
}

func (sc *sandboxCommand) stop(t *testing.T) error {
	t.Helper()
	sc.cancel()
	select {
	case err := <-sc.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("runSandbox did not return after cancel")
		return nil
	}
}

// call sends an API request with the token and returns the status and body.
func (sc *sandboxCommand) call(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, sc.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}

func TestSandboxCommandServesAndSaves(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	sc := startSandboxCommand(t, "-token", "T0KEN", "-state", state)
	if out := sc.stdout.String(); !regexp.MustCompile(`token\s+T0KEN`).MatchString(out) || !regexp.MustCompile(`client_id\s+\S+`).MatchString(out) ||
		!regexp.MustCompile(`modes\s+default`).MatchString(out) {
		t.Errorf("start banner = %q, want client_id, the token and the default modes", out)
	}

	status, b := sc.call(t, "GET", "/api/v4/leads/pipelines", "T0KEN", "")
	var body struct {
		Embedded struct {
			Pipelines []struct{ Name string } `json:"pipelines"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(b, &body); err != nil || status != 200 || len(body.Embedded.Pipelines) != 3 {
		t.Fatalf("pipelines: status %d, %d pipelines, err %v", status, len(body.Embedded.Pipelines), err)
	}
	if err := sc.stop(t); err != nil {
		t.Fatalf("runSandbox: %v", err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state not saved on exit: %v", err)
	}
}

func TestSandboxCommandModes(t *testing.T) {
	sc := startSandboxCommand(t, "-strict", "-search-lag", "5s", "-error-244")
	if want := "modes          -search-lag 5s -search-no-fields -filters-ignored -no-request-id -unsorted-duplicates -error-244"; !strings.Contains(sc.stdout.String(), want) {
		t.Errorf("banner = %q, want %q", sc.stdout.String(), want)
	}
	// The default account refuses this filter; one without the alpha ignores it.
	if status, b := sc.call(t, "GET", "/api/v4/leads?filter[pipeline_id]=1", defaultSandboxToken, ""); status != http.StatusNoContent {
		t.Errorf("ignored filter: %d %s, want 204", status, b)
	}
	if status, b := sc.call(t, "POST", "/api/v4/leads", defaultSandboxToken, `[{"name":"x"}]`); status != http.StatusBadRequest || !strings.Contains(string(b), "Код ошибки 244") {
		t.Errorf("write: %d %s, want 400 with code 244", status, b)
	}
	if err := sc.stop(t); err != nil {
		t.Fatalf("runSandbox: %v", err)
	}
}

func TestSandboxCommandUsage(t *testing.T) {
	var out bytes.Buffer
	err := runSandbox(context.Background(), IO{Stdout: &out, Stderr: &out}, []string{"-rps", "x"})
	if _, ok := err.(usageError); !ok {
		t.Errorf("bad flag: err = %v, want a usageError", err)
	}
}
