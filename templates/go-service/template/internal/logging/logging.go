// Package logging builds the service's logger: one JSON object a line, for log collectors, each
// naming the service and carrying the attributes of the request it was logged for.
package logging

import (
	"context"
	"io"
	"log/slog"
	"slices"
)

// New returns a logger that writes JSON lines to w, with the keys time, level, msg and service
// followed by each record's attributes, dropping records below level. Changing level later
// changes what the logger writes from then on. A record logged with a context that carries
// attributes (see WithAttrs and AttrsKey), such as a request's ID, carries them too. When w is
// an *Output, access lines wait as it says; any other w gets every line at once.
func New(w io.Writer, level *slog.LevelVar, service string) *slog.Logger {
	out, ok := w.(*Output)
	if !ok {
		out = NewOutput(w, 0)
	}
	h := &handler{json: slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}), level: level, out: out, flat: true}
	return slog.New(h).With("service", service)
}

// AttrsKey is the context key of a context's log attributes: its value is an Attrs. WithAttrs
// stores one; a request-scoped context type may also answer the key itself, as the middleware
// package's does, to carry attributes without a context.WithValue per request.
type AttrsKey struct{}

// Attrs are the attributes a context adds to each record logged with it.
type Attrs interface {
	LogAttrs() []slog.Attr
}

type attrList []slog.Attr

func (l attrList) LogAttrs() []slog.Attr { return l }

// WithAttrs returns a copy of ctx whose log records, through a logger from New, carry attrs
// after those ctx already had.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	var old []slog.Attr
	if a, ok := ctx.Value(AttrsKey{}).(Attrs); ok {
		old = a.LogAttrs()
	}
	return context.WithValue(ctx, AttrsKey{}, attrList(append(old[:len(old):len(old)], attrs...)))
}

// handler is slog's JSON handler, adding the attributes of each record's context, with a fast
// path. Most of the service's lines are flat: strings that need no escaping, integers, booleans
// and durations, no groups. The access log writes one for every request, and slog's handler,
// which must be ready for any value, spends most of a request's logging time on them. handler
// writes flat lines itself, the very bytes slog's handler would write (flat_test.go holds the
// two to that), and hands every other record to slog's handler.
type handler struct {
	json  slog.Handler // slog's JSON handler, with the attributes given to WithAttrs
	level slog.Leveler
	out   *Output // shared with json, so that lines from both paths never interleave
	// flat is whether the attributes given to WithAttrs are flat and no group is open; prefix
	// holds those attributes as the fast path writes them.
	flat   bool
	prefix []byte
}

func (h *handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	extra := contextAttrs(ctx)
	if h.flat {
		written, err := writeFlat(func(buf []byte) ([]byte, bool) { return appendFlat(buf, h.prefix, r, extra) }, h.out.Write)
		if written {
			return err
		}
	}
	if len(extra) > 0 {
		r = r.Clone() // r may share its attributes' storage with the caller's other copies
		r.AddAttrs(extra...)
	}
	return h.json.Handle(ctx, r)
}

// writeFlat builds a line with build in a reused buffer and writes it with write; it reports
// false, having written nothing, if build reports that the line is not flat.
func writeFlat(build func([]byte) ([]byte, bool), write func([]byte) (int, error)) (bool, error) {
	buf := newBuffer()
	defer buf.free()
	line, ok := build((*buf)[:0])
	*buf = line // the buffer may have grown: keep what it grew to
	if !ok {
		return false, nil
	}
	_, err := write(line)
	return true, err
}

// contextAttrs returns the log attributes ctx carries; ctx may be nil, as slog allows.
func contextAttrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	if a, ok := ctx.Value(AttrsKey{}).(Attrs); ok {
		return a.LogAttrs()
	}
	return nil
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	next := &handler{json: h.json.WithAttrs(attrs), level: h.level, out: h.out, flat: h.flat}
	if next.flat {
		prefix := slices.Clip(h.prefix) // so that appending copies rather than share h's array
		for _, a := range attrs {
			if prefix, next.flat = appendFlatAttr(prefix, a); !next.flat {
				break
			}
		}
		next.prefix = prefix
	}
	return next
}

// WithGroup leaves the fast path: its lines are slog's own.
func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{json: h.json.WithGroup(name), level: h.level, out: h.out}
}
