package slackfake

// CloseIdleConnections closes the server's side of every idle keep-alive
// Web API connection; requests in flight and Socket Mode connections (which
// are hijacked, so not idle HTTP connections) are left alone. A client's
// transport then drops them, so a goroutine count taken afterwards no
// longer includes its idle-connection readers and writers: that is how a
// load test tells a leak from a warm connection pool. A connection whose
// response was just written may not count as idle yet: call it until the
// count settles.
func (s *Server) CloseIdleConnections() {
	// net/http has no direct call for this; disabling keep-alives closes
	// the idle connections, and re-enabling them restores normal serving.
	s.http.Config.SetKeepAlivesEnabled(false)
	s.http.Config.SetKeepAlivesEnabled(true)
}
