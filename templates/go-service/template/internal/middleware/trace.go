package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// TraceContext is what a W3C traceparent header says about the caller's trace.
type TraceContext struct {
	TraceID  string // 32 lowercase hex digits
	ParentID string // 16 lowercase hex digits: the caller's span
	Sampled  bool
}

// Trace reads the W3C Trace Context header traceparent
// (https://www.w3.org/TR/trace-context/#traceparent-header) and, when it is valid, puts its
// trace ID into every log line logged with the request's context, as trace_id, so that logs
// join the traces of the services around this one. It records no spans itself: once a team
// adds OpenTelemetry, its handler takes this piece's place and the field stays the same.
func Trace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tc, ok := ParseTraceparent(r.Header.Get(traceparentHeader))
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		x, r, _ := enter(r)
		x.trace, x.traced = tc, true
		x.addAttr(slog.String("trace_id", tc.TraceID))
		next.ServeHTTP(w, r)
	})
}

// traceparentHeader is traceparent in the canonical form, which Header.Get looks up without
// converting it first.
const traceparentHeader = "Traceparent"

// TraceFrom returns the trace context Trace found for the request of ctx.
func TraceFrom(ctx context.Context) (TraceContext, bool) {
	if x := exchangeOf(ctx); x != nil && x.traced {
		return x.trace, true
	}
	return TraceContext{}, false
}

// ParseTraceparent parses a traceparent header value: version-traceid-parentid-flags, such as
// 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01. Following the specification it
// rejects version ff, all-zero IDs and upper-case hex, and accepts a later version's longer value
// by reading its first four fields.
func ParseTraceparent(v string) (TraceContext, bool) {
	if len(v) < 55 || (len(v) > 55 && v[55] != '-') {
		return TraceContext{}, false
	}
	version, traceID, parentID, flags := v[0:2], v[3:35], v[36:52], v[53:55]
	if v[2] != '-' || v[35] != '-' || v[52] != '-' ||
		!isHex(version) || version == "ff" || (version == "00" && len(v) != 55) ||
		!isHex(traceID) || isZero(traceID) || !isHex(parentID) || isZero(parentID) || !isHex(flags) {
		return TraceContext{}, false
	}
	return TraceContext{TraceID: traceID, ParentID: parentID, Sampled: fromHex(flags[1])&1 == 1}, true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isZero(s string) bool {
	return strings.Trim(s, "0") == ""
}

func fromHex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}
