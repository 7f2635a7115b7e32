package meetingtest

// CloseIdleConnections closes the server's side of every idle keep-alive
// connection (connections serving a request are left alone). A client's
// transport then drops them, so a goroutine count taken afterwards no
// longer includes its idle-connection readers and writers: that is how a
// load test tells a leak from a warm connection pool. A connection whose
// response was just written may not count as idle yet: call it until the
// count settles.
func (s *Server) CloseIdleConnections() {
	// net/http has no direct call for this; disabling keep-alives closes
	// the idle connections, and re-enabling them restores normal serving.
	s.ts.Config.SetKeepAlivesEnabled(false)
	s.ts.Config.SetKeepAlivesEnabled(true)
}
