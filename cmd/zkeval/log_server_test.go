package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The log's server bounds how long a client may hold a connection, with
// room for a 2 MiB submission on a slow link.
func TestLogServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	require.NotZero(t, srv.ReadHeaderTimeout)
	require.GreaterOrEqual(t, srv.ReadTimeout.Seconds(), 60.0)
	require.GreaterOrEqual(t, srv.WriteTimeout.Seconds(), 60.0)
	require.NotZero(t, srv.IdleTimeout)
	require.Positive(t, maxConns)
}
