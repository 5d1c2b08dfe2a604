package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

func TestSandboxCommandServesAndSaves(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, IO{Stdout: &stdout, Stderr: &stderr},
			[]string{"-listen", "127.0.0.1:0", "-token", "T0KEN", "-state", state})
	}()

	urlRe := regexp.MustCompile(`url\s+(http://\S+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no url printed; stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if out := stdout.String(); !regexp.MustCompile(`token\s+T0KEN`).MatchString(out) || !regexp.MustCompile(`client_id\s+\S+`).MatchString(out) {
		t.Errorf("start banner = %q, want client_id and the token", out)
	}

	req, _ := http.NewRequest("GET", base+"/api/v4/leads/pipelines", nil)
	req.Header.Set("Authorization", "Bearer T0KEN")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("get pipelines: %v", err)
	}
	var body struct {
		Embedded struct {
			Pipelines []struct{ Name string } `json:"pipelines"`
		} `json:"_embedded"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(body.Embedded.Pipelines) != 3 {
		t.Fatalf("pipelines: status %d, %d pipelines, err %v", resp.StatusCode, len(body.Embedded.Pipelines), err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runSandbox: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runSandbox did not return after cancel")
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state not saved on exit: %v", err)
	}
}

func TestSandboxCommandUsage(t *testing.T) {
	var out bytes.Buffer
	err := runSandbox(context.Background(), IO{Stdout: &out, Stderr: &out}, []string{"-rps", "x"})
	if _, ok := err.(usageError); !ok {
		t.Errorf("bad flag: err = %v, want a usageError", err)
	}
}
