package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	gmssql "github.com/dolthub/go-mysql-server/sql"
	"github.com/sirupsen/logrus"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// embeddedMySQL is go-mysql-server with in-memory databases, listening on
// 127.0.0.1 at a free port. Only the demo links it: the service binary
// talks to a real MySQL or MariaDB.
type embeddedMySQL struct {
	srv  *server.Server
	addr string
}

func startMySQL(databases ...string) (*embeddedMySQL, error) {
	// go-mysql-server logs every connection through logrus at info level.
	logrus.SetLevel(logrus.ErrorLevel)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded mysql: listen: %w", err)
	}
	dbs := make([]gmssql.Database, len(databases))
	for i, name := range databases {
		dbs[i] = memory.NewDatabase(name)
	}
	pro := memory.NewDBProvider(dbs...)
	srv, err := server.NewServer(server.Config{Protocol: "tcp", Listener: ln},
		sqle.NewDefault(pro), gmssql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded mysql: %w", err)
	}
	go srv.Start() //nolint:errcheck // returns when Close stops the listener
	return &embeddedMySQL{srv: srv, addr: ln.Addr().String()}, nil
}

// dsn is the go-sql-driver DSN of database as root without a password,
// with read and write timeouts that wait for the embedded server's slowest
// statements (see embeddedTimeout).
func (m *embeddedMySQL) dsn(database string) string {
	return "root@tcp(" + m.addr + ")/" + database + "?parseTime=true&readTimeout=" + embeddedTimeout.String() +
		"&writeTimeout=" + embeddedTimeout.String()
}

func (m *embeddedMySQL) port() string {
	_, port, _ := net.SplitHostPort(m.addr)
	return port
}

func (m *embeddedMySQL) Close() error { return m.srv.Close() }

// sandboxServer is the amoCRM emulator served over HTTP on 127.0.0.1.
type sandboxServer struct {
	box  *sandbox.Server
	http *http.Server
	url  string
}

func startSandbox(token string) (*sandboxServer, error) {
	box, err := sandbox.New(sandbox.Options{LongLivedTokens: []string{token}})
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	hs := &http.Server{Handler: box, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed on Close
	return &sandboxServer{box: box, http: hs, url: "http://" + ln.Addr().String()}, nil
}

func (s *sandboxServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop sandbox: %w", err)
	}
	return nil
}
