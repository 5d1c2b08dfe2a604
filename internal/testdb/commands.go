package testdb

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Protocol commands a client sends (the first byte of a packet with
// sequence number 0; MySQL client/server protocol, "Command Phase").
const (
	ComQuery       = 0x03
	ComPing        = 0x0e
	ComStmtPrepare = 0x16
	ComStmtExecute = 0x17
	ComStmtClose   = 0x19
)

var commandNames = map[byte]string{
	0x01: "QUIT", 0x02: "INIT_DB", ComQuery: "QUERY", ComPing: "PING", ComStmtPrepare: "STMT_PREPARE",
	ComStmtExecute: "STMT_EXECUTE", ComStmtClose: "STMT_CLOSE", 0x1a: "STMT_RESET", 0x1f: "RESET_CONNECTION",
}

// Commands counts the protocol commands clients of one DSN send, as they go
// on the wire: a parameterised query the driver prepares is three commands
// (PREPARE, EXECUTE, CLOSE), an interpolated one a single QUERY. It counts
// only this test's connections, whatever else the server is doing.
type Commands struct {
	mu    sync.Mutex
	count map[byte]int
	sql   []string // the text of every QUERY and PREPARE, in order
}

var dialers atomic.Int64

// CountCommands returns dsn made to connect through a counting dialer, and
// the counter.
func CountCommands(t testing.TB, dsn string) (string, *Commands) {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	if cfg.Net != "tcp" {
		t.Fatalf("counting commands needs a tcp DSN, got %s", cfg.Net)
	}
	c := &Commands{count: map[byte]int{}}
	network := fmt.Sprintf("mxamo-count-%d", dialers.Add(1))
	mysql.RegisterDialContext(network, func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: conn, c: c}, nil
	})
	cfg.Net = network
	return cfg.FormatDSN(), c
}

// Total is how many commands were sent.
func (c *Commands) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.count {
		n += v
	}
	return n
}

// Of is how many commands of kind cmd were sent.
func (c *Commands) Of(cmd byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[cmd]
}

// Statements is how many SQL statements were run: QUERY and STMT_EXECUTE.
func (c *Commands) Statements() int { return c.Of(ComQuery) + c.Of(ComStmtExecute) }

// SQL lists the text of the queries and prepared statements sent, in order.
func (c *Commands) SQL() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sql...)
}

// Reset forgets what was counted.
func (c *Commands) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count, c.sql = map[byte]int{}, nil
}

// String is the counts by command, for test logs: "QUERY 3, STMT_EXECUTE 2".
func (c *Commands) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, cmd := range []byte{ComQuery, ComStmtPrepare, ComStmtExecute, ComStmtClose, ComPing, 0x01, 0x02, 0x1a, 0x1f} {
		if n := c.count[cmd]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", commandNames[cmd], n))
		}
	}
	return strings.Join(parts, ", ")
}

func (c *Commands) add(cmd byte, text []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count[cmd]++
	if cmd == ComQuery || cmd == ComStmtPrepare {
		c.sql = append(c.sql, strings.Join(strings.Fields(string(text)), " "))
	}
}

// countingConn reads the packets a client writes: a 3-byte little-endian
// payload length, a sequence number, the payload. A packet with sequence 0
// starts a command, its first byte naming it.
type countingConn struct {
	net.Conn
	c *Commands

	mu     sync.Mutex
	header []byte // a header split across writes
	left   int    // payload bytes of the current packet not seen yet
	start  bool   // the next payload byte names a command
}

func (cc *countingConn) Write(p []byte) (int, error) {
	cc.scan(p)
	return cc.Conn.Write(p)
}

func (cc *countingConn) scan(p []byte) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for len(p) > 0 {
		if cc.left > 0 {
			n := min(cc.left, len(p))
			if cc.start {
				// The driver writes a packet in one piece, so its text is here.
				cc.c.add(p[0], p[1:n])
				cc.start = false
			}
			cc.left -= n
			p = p[n:]
			continue
		}
		n := min(4-len(cc.header), len(p))
		cc.header = append(cc.header, p[:n]...)
		p = p[n:]
		if len(cc.header) < 4 {
			return
		}
		cc.left = int(cc.header[0]) | int(cc.header[1])<<8 | int(cc.header[2])<<16
		cc.start = cc.header[3] == 0 && cc.left > 0
		cc.header = cc.header[:0]
	}
}
