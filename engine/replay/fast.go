package replay

import (
	"bytes"
	"encoding/base64"
	"strconv"

	"github.com/gagliardetto/solana-go"
)

// scanAccount parses an accountNotification laid out exactly as Solana
// nodes (and Writer) emit it, with a cursor instead of a JSON tree:
// encoding/json is several times slower and dominates replay. The template
// is strict — any other layout (extra keys, whitespace, escapes) returns
// ok=false and the caller falls back to encoding/json — so the fast path
// never changes a result; a differential fuzz target holds the two equal.
//
//	{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":S},
//	 "value":{"data":["B64","base64"],"executable":false,"lamports":L,"owner":"O",
//	 "rentEpoch":R,"space":N}},"subscription":ID}}
type fastFields struct {
	sub, slot, lamports uint64
	owner               []byte
	data                []byte // base64 text
}

type cursor struct {
	b  []byte
	ok bool
}

func (c *cursor) lit(s string) {
	if c.ok && bytes.HasPrefix(c.b, []byte(s)) {
		c.b = c.b[len(s):]
		return
	}
	c.ok = false
}

func (c *cursor) uint() uint64 {
	if !c.ok {
		return 0
	}
	n := 0
	for n < len(c.b) && c.b[n] >= '0' && c.b[n] <= '9' {
		n++
	}
	// No leading zeros (JSON forbids them) and at most 20 digits.
	if n == 0 || n > 20 || (n > 1 && c.b[0] == '0') {
		c.ok = false
		return 0
	}
	v, err := strconv.ParseUint(string(c.b[:n]), 10, 64)
	if err != nil {
		c.ok = false
		return 0
	}
	c.b = c.b[n:]
	return v
}

// str reads up to the closing quote of a plain ASCII string.
func (c *cursor) str() []byte {
	if !c.ok {
		return nil
	}
	j := bytes.IndexByte(c.b, '"')
	if j < 0 {
		c.ok = false
		return nil
	}
	// Printable ASCII only: base64 and base58 need nothing else, and
	// escapes, control bytes or invalid UTF-8 are where encoding/json
	// would read something different (it substitutes U+FFFD).
	for _, ch := range c.b[:j] {
		if ch < 0x20 || ch > 0x7e || ch == '\\' {
			c.ok = false
			return nil
		}
	}
	s := c.b[:j]
	c.b = c.b[j+1:]
	return s
}

func scanAccount(line []byte) (f fastFields, ok bool) {
	c := cursor{b: line, ok: true}
	c.lit(`{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":`)
	f.slot = c.uint()
	c.lit(`},"value":{"data":["`)
	f.data = c.str()
	c.lit(`,"base64"],"executable":`)
	if c.ok && bytes.HasPrefix(c.b, []byte("true")) {
		c.lit("true")
	} else {
		c.lit("false")
	}
	c.lit(`,"lamports":`)
	f.lamports = c.uint()
	c.lit(`,"owner":"`)
	f.owner = c.str()
	c.lit(`,"rentEpoch":`)
	c.uint()
	c.lit(`,"space":`)
	c.uint()
	c.lit(`}},"subscription":`)
	f.sub = c.uint()
	c.lit(`}}`)
	return f, c.ok && len(c.b) == 0
}

// owner decodes a base58 owner through a small cache: pool accounts have a
// handful of distinct owners, and base58 decoding costs microseconds.
func (r *Reader) owner(b []byte) (solana.PublicKey, error) {
	if pk, ok := r.owners[string(b)]; ok {
		return pk, nil
	}
	pk, err := solana.PublicKeyFromBase58(string(b))
	if err != nil {
		return pk, err
	}
	if len(r.owners) < 64 {
		r.owners[string(b)] = pk
	}
	return pk, nil
}

func (r *Reader) decodeData(b64 []byte) ([]byte, error) {
	n := base64.StdEncoding.DecodedLen(len(b64))
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	k, err := base64.StdEncoding.Decode(r.buf[:n], b64)
	if err != nil {
		return nil, err
	}
	return r.buf[:k], nil
}
