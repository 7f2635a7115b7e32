package meetingtest

// The sample meeting: what `kickbot console` and many tests run against.
// Everything here is fake and public; none of it is a real credential.
const (
	SampleAppID           = "kickbot-sample-app"
	SampleAppKey          = "sample-app-key-0123456789abcdef0123456789abcdef" // fake, public
	SampleUserID          = "kickbot-scheduler"                               // the meeting's scheduler: sees the chair password
	SampleAccount         = "kickbot@example.com"
	SampleAccountPassword = "Sample-Passw0rd" // fake, public
	SampleConferenceID    = "914083136"
	SampleSubject         = "Weekly all-hands"
	SampleHostPassword    = "724519"
	SampleGuestPassword   = "381206"

	SampleHostPID     = "2735e0599af9ab105626cf805f109a80" // "Alice Chen", +8613800000001, host
	SampleCoHostPID   = "959fc83eaeff4066542f6dcbc6ec2a41" // "Bob Li", +8613800000003, co-host
	SampleCarlosPID   = "ba9acb1e216d11eabc5165c2b91ad427" // "Carlos Mendes" (the pid of Huawei's doc example)
	SampleJaneDoe1PID = "6a7622f71ee511a5c18354aa6a72b1b5" // "Jane Doe", +8613800000002
	SampleJaneDoe2PID = "958619f851361ab7ab0f53cf2ace09fe" // "Jane Doe", no phone, video on (same name: ambiguous)
	SampleChannelPID  = "e610f161629bc2cce50ac52cd1bd9947" // "<!channel>": must never ping a channel
	SamplePhonePID    = "03fa4acfd54eb0bab0b19c67b8b24ec7" // "Wang Wei", +8613800000000
	SampleCallingPID  = "c9547b92c313a53df75728ef50479d9e" // "Dmitri Ivanov", state 1 (being called)
	SampleHandPID     = "fbb995bdb329a65695aac0420b19aa5b" // "Priya Patel", muted, hand raised
	SampleEscapePID   = "d76cc9263dcfa2223f150a5c98a9d847" // "Tom & Jerry <dev>", state 2 (joining): needs escaping
)

// SampleFacts says what Sample seeded, so tests need not repeat it.
type SampleFacts struct {
	AppID, AppKey, UserID string
	ConferenceID          string
	HostPassword          string
	Host, CoHost          P
	Others                []P

	// Additions beyond the shared contract.
	Subject         string
	GuestPassword   string
	Account         string // account auth alternative; acts as UserID too
	AccountPassword string
}

// Sample seeds the sample meeting (replacing it if present) and its
// credentials, and returns its facts. The meeting "914083136", "Weekly
// all-hands", is running, scheduled by SampleUserID, with host Alice Chen,
// co-host Bob Li and eight others: two "Jane Doe"s, one "<!channel>", one on
// phone +8613800000000, one being called, one joining with a name that needs
// mrkdwn escaping, one with a raised hand, and Carlos Mendes whose pid is the
// one in Huawei's HangUp example.
func (s *Server) Sample() SampleFacts {
	f := SampleFacts{
		AppID:           SampleAppID,
		AppKey:          SampleAppKey,
		UserID:          SampleUserID,
		ConferenceID:    SampleConferenceID,
		HostPassword:    SampleHostPassword,
		Host:            P{ID: SampleHostPID, Name: "Alice Chen", Phone: "+8613800000001", Video: true},
		CoHost:          P{ID: SampleCoHostPID, Name: "Bob Li", Phone: "+8613800000003"},
		Subject:         SampleSubject,
		GuestPassword:   SampleGuestPassword,
		Account:         SampleAccount,
		AccountPassword: SampleAccountPassword,
		Others: []P{
			{ID: SampleCarlosPID, Name: "Carlos Mendes", Phone: "+8613800000004"},
			{ID: SampleJaneDoe1PID, Name: "Jane Doe", Phone: "+8613800000002"},
			{ID: SampleJaneDoe2PID, Name: "Jane Doe", Video: true},
			{ID: SampleChannelPID, Name: "<!channel>", Phone: "+8613800000006"},
			{ID: SamplePhonePID, Name: "Wang Wei", Phone: "+8613800000000"},
			{ID: SampleCallingPID, Name: "Dmitri Ivanov", Phone: "+8613800000005", State: 1},
			{ID: SampleHandPID, Name: "Priya Patel", Phone: "+8613800000007", Muted: true, Hand: true},
			{ID: SampleEscapePID, Name: "Tom & Jerry <dev>", Phone: "+8613800000008", State: 2},
		},
	}
	s.AddApp(f.AppID, f.AppKey, f.UserID)
	s.AddAccount(f.Account, f.AccountPassword, f.UserID)
	b := s.AddConference(f.ConferenceID).
		Subject(f.Subject).
		Scheduler(f.UserID).
		Passwords(f.HostPassword, f.GuestPassword).
		Running().
		Host(f.Host).
		CoHost(f.CoHost)
	for _, p := range f.Others {
		b.Participant(p)
	}
	return f
}
