package logging

import (
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// appendFlat appends r as slog's JSON handler would write it, with the preformatted attributes
// prefix and then extra after r's own, and reports true; or reports false if any part of it is
// not flat, leaving the caller to hand r to slog's handler.
func appendFlat(buf, prefix []byte, r slog.Record, extra []slog.Attr) ([]byte, bool) {
	buf, ok := appendHead(buf, r.Time, r.Level, r.Message)
	if !ok {
		return buf, false
	}
	buf = append(buf, prefix...)
	r.Attrs(func(a slog.Attr) bool {
		buf, ok = appendFlatAttr(buf, a)
		return ok
	})
	if ok {
		buf, ok = appendFlatAttrs(buf, extra)
	}
	return append(buf, "}\n"...), ok
}

// appendHead appends the opening of a line, its time, level and message, and reports true; or
// reports false if they are not flat: no time (slog leaves the key out), a year outside 0-9999
// (slog writes an error instead) or a message that needs escaping.
func appendHead(buf []byte, t time.Time, level slog.Level, msg string) ([]byte, bool) {
	if y := t.Year(); t.IsZero() || y < 0 || y >= 10000 || !plain(msg) {
		return buf, false
	}
	buf = append(buf, `{"time":"`...)
	buf = t.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","level":"`...)
	buf = append(buf, level.String()...) // such as INFO or ERROR+2: nothing to escape
	buf = append(buf, `","msg":"`...)
	buf = append(buf, msg...)
	return append(buf, '"'), true
}

// appendFlatAttrs appends each of attrs as appendFlatAttr does, or reports false.
func appendFlatAttrs(buf []byte, attrs []slog.Attr) ([]byte, bool) {
	ok := true
	for i := 0; ok && i < len(attrs); i++ {
		buf, ok = appendFlatAttr(buf, attrs[i])
	}
	return buf, ok
}

// appendFlatAttr appends a comma and a as a JSON member and reports true, or reports false if a
// is not flat: a key or string that needs escaping, an empty key, or a value of another kind.
func appendFlatAttr(buf []byte, a slog.Attr) ([]byte, bool) {
	if a.Key == "" || !plain(a.Key) {
		return buf, false
	}
	buf = append(buf, ',', '"')
	buf = append(buf, a.Key...)
	buf = append(buf, '"', ':')
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		s := v.String()
		if !plain(s) {
			return buf, false
		}
		buf = append(buf, '"')
		buf = append(buf, s...)
		buf = append(buf, '"')
	case slog.KindInt64:
		buf = strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		buf = strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindBool:
		buf = strconv.AppendBool(buf, v.Bool())
	case slog.KindDuration: // in nanoseconds, as encoding/json and slog write one
		buf = strconv.AppendInt(buf, int64(v.Duration()), 10)
	default:
		return buf, false
	}
	return buf, true
}

// plain reports whether s goes into a JSON string as it is: printable ASCII other than the
// quote and the backslash.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainBytes[s[i]] {
			return false
		}
	}
	return true
}

var plainBytes = func() (plain [256]bool) {
	for c := ' '; c <= '~'; c++ {
		plain[c] = c != '"' && c != '\\'
	}
	return plain
}()

// buffer is a line being built; buffers are reused, as slog's handler reuses its own.
type buffer []byte

var buffers = sync.Pool{New: func() any { b := make(buffer, 0, 1024); return &b }}

func newBuffer() *buffer {
	return buffers.Get().(*buffer)
}

// free returns b for reuse unless it grew too large to keep around.
func (b *buffer) free() {
	if cap(*b) <= 16<<10 {
		*b = (*b)[:0]
		buffers.Put(b)
	}
}
