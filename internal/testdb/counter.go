package testdb

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQL client/server protocol: a packet is a 3-byte little-endian payload
// length and a sequence id; a command packet has sequence id 0 and its
// payload's first byte names the command.
const (
	comQuery       = 0x03
	comStmtExecute = 0x17
)

// Counter relays the server of dsn through a listener on 127.0.0.1 and
// counts the statements clients send through it (COM_QUERY and
// COM_STMT_EXECUTE packets), so a test counts what it asks of the server
// with no privilege and no other client counted. It returns dsn pointed at
// the relay and the counter. The relay closes when the test ends.
func Counter(t testing.TB, dsn string) (string, func() int64) {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	if cfg.Net != "tcp" {
		t.Fatalf("count statements: the server must be reached over tcp, not %s", cfg.Net)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		n     atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	server := cfg.Addr
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return // closed
			}
			upstream, err := net.Dial("tcp", server)
			if err != nil {
				client.Close()
				continue
			}
			track(client)
			track(upstream)
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(client, upstream)
				client.Close()
			}()
			go func() {
				defer wg.Done()
				relayCommands(upstream, client, &n)
				upstream.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	cfg.Addr = ln.Addr().String()
	return cfg.FormatDSN(), n.Load
}

// relayCommands copies client packets to dst and counts the statements.
func relayCommands(dst io.Writer, src io.Reader, n *atomic.Int64) {
	var head [4]byte
	for {
		if _, err := io.ReadFull(src, head[:]); err != nil {
			return
		}
		size := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
		payload := make([]byte, size)
		if _, err := io.ReadFull(src, payload); err != nil {
			return
		}
		if head[3] == 0 && size > 0 && (payload[0] == comQuery || payload[0] == comStmtExecute) {
			n.Add(1)
		}
		if _, err := dst.Write(append(head[:], payload...)); err != nil {
			return
		}
	}
}
