package logging

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// Request is what an access log line says about one request.
type Request struct {
	Method   string
	Route    string // the pattern that matched, such as "GET /items/{id}"
	Path     string
	Status   int
	Bytes    int64
	Duration time.Duration
}

// LogRequest logs the line "request" for req at level through h, as h.Handle logs a record
// made at that time with the attributes method, route, path, status, bytes and duration; like
// Handle, it leaves checking h.Enabled to the caller. A handler from New writes a flat line
// without making the record, and its Output may hold it for a moment (see Output): the access
// log calls this for every request.
func LogRequest(ctx context.Context, h slog.Handler, level slog.Level, at time.Time, req Request) error {
	if ours, ok := h.(*handler); ok && ours.flat {
		written, err := writeFlat(func(buf []byte) ([]byte, bool) {
			return appendRequest(buf, ours.prefix, level, at, req, contextAttrs(ctx))
		}, ours.out.hold)
		if written {
			return err
		}
	}
	r := slog.NewRecord(at, level, "request", 0)
	r.AddAttrs(
		slog.String("method", req.Method),
		slog.String("route", req.Route),
		slog.String("path", req.Path),
		slog.Int("status", req.Status),
		slog.Int64("bytes", req.Bytes),
		slog.Duration("duration", req.Duration),
	)
	return h.Handle(ctx, r)
}

// appendRequest appends the line LogRequest logs, as appendFlat would append its record, or
// reports false.
func appendRequest(buf, prefix []byte, level slog.Level, at time.Time, req Request, extra []slog.Attr) ([]byte, bool) {
	buf, ok := appendHead(buf, at, level, "request")
	if !ok || !plain(req.Method) || !plain(req.Route) || !plain(req.Path) {
		return buf, false
	}
	buf = append(buf, prefix...)
	buf = append(buf, `,"method":"`...)
	buf = append(buf, req.Method...)
	buf = append(buf, `","route":"`...)
	buf = append(buf, req.Route...)
	buf = append(buf, `","path":"`...)
	buf = append(buf, req.Path...)
	buf = append(buf, `","status":`...)
	buf = strconv.AppendInt(buf, int64(req.Status), 10)
	buf = append(buf, `,"bytes":`...)
	buf = strconv.AppendInt(buf, req.Bytes, 10)
	buf = append(buf, `,"duration":`...)
	buf = strconv.AppendInt(buf, int64(req.Duration), 10)
	if buf, ok = appendFlatAttrs(buf, extra); !ok {
		return buf, false
	}
	return append(buf, "}\n"...), true
}
