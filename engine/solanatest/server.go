// Package solanatest is a local Solana JSON-RPC + websocket server for
// tests. It serves recorded mainnet responses (account fixtures, slots) and
// injects the faults a real RPC provider produces: dropped websockets,
// malformed JSON, HTTP 429, RPC errors and slow responses.
//
// It is test support only: no production package imports it, so neither
// the server nor the embedded fixtures are linked into hft-ninja.
package solanatest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Account is an account as served by getAccountInfo / accountNotification.
type Account struct {
	Lamports uint64
	Owner    string
	Data     []byte
}

// Server is the fake RPC node. The same URL serves HTTP JSON-RPC (POST) and
// the websocket (GET with Upgrade), like solana-test-validator on 8899/8900
// but on one port.
type Server struct {
	srv *httptest.Server
	up  websocket.Upgrader

	mu            sync.Mutex
	slot          uint64
	accounts      map[string]Account
	conns         map[*conn]struct{}
	nextSub       uint64
	calls         map[string]int
	fail429       int
	failMalformed int
	failRPCError  int
	delay         time.Duration
	rejectWS      bool
	silentWS      bool
	handlers      map[string]Handler
}

// Handler answers one JSON-RPC method: it returns the result value, or an
// error that becomes a JSON-RPC error object.
type Handler func(params json.RawMessage) (any, error)

type conn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex
	subs map[uint64]sub // guarded by Server.mu
}

type sub struct {
	method string // slotSubscribe, accountSubscribe, signatureSubscribe
	key    string
}

// New starts a server; call Close when done.
func New() *Server {
	s := &Server{
		accounts: map[string]Account{},
		conns:    map[*conn]struct{}{},
		calls:    map[string]int{},
		handlers: map[string]Handler{},
		nextSub:  1000,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close drops every connection and stops the server.
func (s *Server) Close() {
	s.DropConnections()
	s.srv.Close()
}

// RPCURL is the HTTP JSON-RPC endpoint.
func (s *Server) RPCURL() string { return s.srv.URL }

// WSURL is the websocket endpoint.
func (s *Server) WSURL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// SetSlot sets the slot returned by getSlot and used as notification context.
func (s *Server) SetSlot(slot uint64) {
	s.mu.Lock()
	s.slot = slot
	s.mu.Unlock()
}

// Handle installs a handler for a JSON-RPC method (overriding the built-in one).
func (s *Server) Handle(method string, h Handler) {
	s.mu.Lock()
	s.handlers[method] = h
	s.mu.Unlock()
}

// SetAccount stores an account and notifies its websocket subscribers.
func (s *Server) SetAccount(pubkey string, a Account) {
	s.mu.Lock()
	s.accounts[pubkey] = a
	slot := s.slot
	targets := s.subscribers("accountSubscribe", pubkey)
	s.mu.Unlock()
	for _, t := range targets {
		t.c.send(notification("accountNotification", t.id, map[string]any{
			"context": map[string]any{"slot": slot},
			"value":   accountJSON(a),
		}))
	}
}

// PushSlot advances the slot and notifies slot subscribers. It returns the
// number of subscribers reached.
func (s *Server) PushSlot(slot uint64) int {
	s.mu.Lock()
	if slot > s.slot {
		s.slot = slot
	}
	targets := s.subscribers("slotSubscribe", "")
	silent := s.silentWS
	s.mu.Unlock()
	if silent {
		return 0
	}
	for _, t := range targets {
		t.c.send(notification("slotNotification", t.id, map[string]any{"parent": slot - 1, "root": slot - 32, "slot": slot}))
	}
	return len(targets)
}

// NotifySignature sends a signatureNotification (err nil = success) to the
// subscribers of sig and returns how many there were.
func (s *Server) NotifySignature(sig string, err any) int {
	s.mu.Lock()
	targets := s.subscribers("signatureSubscribe", sig)
	slot := s.slot
	s.mu.Unlock()
	for _, t := range targets {
		t.c.send(notification("signatureNotification", t.id, map[string]any{
			"context": map[string]any{"slot": slot}, "value": map[string]any{"err": err}}))
	}
	return len(targets)
}

// SendRaw writes msg verbatim to every websocket (for malformed JSON).
func (s *Server) SendRaw(msg string) {
	s.mu.Lock()
	var cs []*conn
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.send([]byte(msg))
	}
}

// DropConnections closes every websocket abruptly, mid-stream.
func (s *Server) DropConnections() {
	s.mu.Lock()
	cs := s.conns
	s.conns = map[*conn]struct{}{}
	s.mu.Unlock()
	for c := range cs {
		_ = c.ws.Close()
	}
}

// RejectWS makes new websocket handshakes fail with 503 while on.
func (s *Server) RejectWS(on bool) {
	s.mu.Lock()
	s.rejectWS = on
	s.mu.Unlock()
}

// SilentWS keeps websockets open but stops slot notifications (a half-dead
// upstream).
func (s *Server) SilentWS(on bool) {
	s.mu.Lock()
	s.silentWS = on
	s.mu.Unlock()
}

// Fail429 answers the next n HTTP requests with 429 Too Many Requests.
func (s *Server) Fail429(n int) { s.mu.Lock(); s.fail429 = n; s.mu.Unlock() }

// FailMalformed answers the next n HTTP requests with malformed JSON.
func (s *Server) FailMalformed(n int) { s.mu.Lock(); s.failMalformed = n; s.mu.Unlock() }

// FailRPCError answers the next n HTTP requests with a JSON-RPC error.
func (s *Server) FailRPCError(n int) { s.mu.Lock(); s.failRPCError = n; s.mu.Unlock() }

// SetDelay delays every HTTP response by d.
func (s *Server) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Calls returns how often method was called (HTTP and websocket).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Subscribers counts live subscriptions of a method.
func (s *Server) Subscribers(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subscribers(method, ""))
}

type target struct {
	c  *conn
	id uint64
}

// subscribers must be called with s.mu held; key "" matches any key.
func (s *Server) subscribers(method, key string) []target {
	var out []target
	for c := range s.conns {
		for id, sb := range c.subs {
			if sb.method == method && (key == "" || sb.key == key) {
				out = append(out, target{c, id})
			}
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		s.serveWS(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST JSON-RPC or upgrade to websocket", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls[req.Method]++
	delay := s.delay
	var fault string
	switch {
	case s.fail429 > 0:
		s.fail429--
		fault = "429"
	case s.failMalformed > 0:
		s.failMalformed--
		fault = "malformed"
	case s.failRPCError > 0:
		s.failRPCError--
		fault = "rpcerror"
	}
	h := s.handlers[req.Method]
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch fault {
	case "429":
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"jsonrpc":"2.0","error":{"code":429,"message":"Too many requests"}}`, http.StatusTooManyRequests)
		return
	case "malformed":
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","result":{"context":`)
		return
	case "rpcerror":
		writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32005, "message": "Node is behind by 42 slots"}})
		return
	}
	if h == nil {
		h = s.builtin(req.Method)
	}
	if h == nil {
		writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32601, "message": "Method not found"}})
		return
	}
	res, err := h(req.Params)
	if err != nil {
		writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32002, "message": err.Error()}})
		return
	}
	writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": res})
}

func (s *Server) builtin(method string) Handler {
	switch method {
	case "getHealth":
		return func(json.RawMessage) (any, error) { return "ok", nil }
	case "getSlot":
		return func(json.RawMessage) (any, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.slot, nil
		}
	case "getMultipleAccounts":
		return s.getMultipleAccounts
	case "getAccountInfo":
		return s.getAccountInfo
	}
	return nil
}

func (s *Server) getMultipleAccounts(params json.RawMessage) (any, error) {
	var p []json.RawMessage
	if err := json.Unmarshal(params, &p); err != nil || len(p) == 0 {
		return nil, fmt.Errorf("invalid params")
	}
	var keys []string
	if err := json.Unmarshal(p[0], &keys); err != nil {
		return nil, fmt.Errorf("invalid keys")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vals := make([]any, len(keys))
	for i, k := range keys {
		if a, ok := s.accounts[k]; ok {
			vals[i] = accountJSON(a)
		}
	}
	return map[string]any{"context": map[string]any{"slot": s.slot}, "value": vals}, nil
}

func (s *Server) getAccountInfo(params json.RawMessage) (any, error) {
	var p []json.RawMessage
	if err := json.Unmarshal(params, &p); err != nil || len(p) == 0 {
		return nil, fmt.Errorf("invalid params")
	}
	var key string
	if err := json.Unmarshal(p[0], &key); err != nil {
		return nil, fmt.Errorf("invalid key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var v any
	if a, ok := s.accounts[key]; ok {
		v = accountJSON(a)
	}
	return map[string]any{"context": map[string]any{"slot": s.slot}, "value": v}, nil
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	reject := s.rejectWS
	s.calls["ws_connect"]++
	s.mu.Unlock()
	if reject {
		http.Error(w, "websocket temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &conn{ws: ws, subs: map[uint64]sub{}}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = ws.Close()
	}()
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var req struct {
			ID     uint64            `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(msg, &req); err != nil {
			continue
		}
		s.mu.Lock()
		s.calls[req.Method]++
		if !strings.HasSuffix(req.Method, "Subscribe") {
			s.mu.Unlock()
			c.send(mustJSON(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": true}))
			continue
		}
		s.nextSub++
		id := s.nextSub
		sb := sub{method: req.Method}
		if len(req.Params) > 0 {
			_ = json.Unmarshal(req.Params[0], &sb.key)
		}
		c.subs[id] = sb
		s.mu.Unlock()
		c.send(mustJSON(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": id}))
	}
}

func (c *conn) send(msg []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = c.ws.WriteMessage(websocket.TextMessage, msg)
}

func notification(method string, sub uint64, result any) []byte {
	return mustJSON(map[string]any{"jsonrpc": "2.0", "method": method,
		"params": map[string]any{"subscription": sub, "result": result}})
}

func accountJSON(a Account) map[string]any {
	return map[string]any{
		"lamports": a.Lamports, "owner": a.Owner, "executable": false,
		"rentEpoch": uint64(18446744073709551615), "space": len(a.Data),
		"data": []string{base64.StdEncoding.EncodeToString(a.Data), "base64"},
	}
}

func writeJSON(w http.ResponseWriter, v any) { _, _ = w.Write(mustJSON(v)) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only values built in this file are marshalled; failure is a bug here.
		panic(fmt.Sprintf("solanatest: marshal: %v", err))
	}
	return b
}
