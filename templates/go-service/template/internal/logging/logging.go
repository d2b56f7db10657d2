// Package logging builds the service's logger: slog's JSON handler, one object a line, each
// naming the service and carrying the attributes of the request it was logged for.
package logging

import (
	"context"
	"io"
	"log/slog"
)

// New returns a logger that writes JSON lines to w through slog.NewJSONHandler, with the keys
// time, level, msg and service followed by each record's attributes, dropping records below
// level. Changing level later changes what the logger writes from then on. A record logged with
// a context that carries attributes (see WithAttrs), such as a request's ID, carries them too.
//
// This is the one place the handler's options are set: a team that wants other keys, redacted
// values or source locations sets ReplaceAttr or AddSource here, and every line, access lines
// included, follows them.
func New(w io.Writer, level *slog.LevelVar, service string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	return slog.New(ContextHandler(slog.NewJSONHandler(w, opts))).With("service", service)
}

// attrsKey is the context key of a context's log attributes.
type attrsKey struct{}

// WithAttrs returns a copy of ctx whose log records, through a handler from ContextHandler, carry
// attrs after those ctx already had.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	old, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	return context.WithValue(ctx, attrsKey{}, append(old[:len(old):len(old)], attrs...))
}

// Attrs returns the attributes WithAttrs put in ctx; ctx may be nil, as slog allows.
func Attrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	attrs, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	return attrs
}

// ContextHandler wraps h so that each record also carries the attributes of the context it was
// logged with (see WithAttrs). They go at the top level of the line, beside time and msg, even
// from a logger made with WithGroup, so that request_id and trace_id are always where log
// queries look for them.
func ContextHandler(h slog.Handler) slog.Handler {
	return &contextHandler{base: h, current: h}
}

// contextHandler keeps the handler it was made from (base) and what WithAttrs and WithGroup added
// since (steps), so that it can put a context's attributes before any group.
type contextHandler struct {
	base    slog.Handler
	steps   []step
	current slog.Handler // base with steps applied
}

// step is one call to WithAttrs (attrs) or WithGroup (group).
type step struct {
	group string
	attrs []slog.Attr
}

func (h *contextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.current.Enabled(ctx, level)
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	extra := Attrs(ctx)
	if len(extra) == 0 {
		return h.current.Handle(ctx, r)
	}
	if !h.grouped() {
		r = r.Clone() // r may share its attributes' storage with the caller's other copies
		r.AddAttrs(extra...)
		return h.current.Handle(ctx, r)
	}
	// A group is open: add the context's attributes before it, then open it again.
	out := h.base.WithAttrs(extra)
	for _, s := range h.steps {
		if s.group != "" {
			out = out.WithGroup(s.group)
		} else {
			out = out.WithAttrs(s.attrs)
		}
	}
	return out.Handle(ctx, r)
}

func (h *contextHandler) grouped() bool {
	for _, s := range h.steps {
		if s.group != "" {
			return true
		}
	}
	return false
}

func (h *contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(step{attrs: attrs}, h.current.WithAttrs(attrs))
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(step{group: name}, h.current.WithGroup(name))
}

func (h *contextHandler) with(s step, current slog.Handler) *contextHandler {
	steps := append(h.steps[:len(h.steps):len(h.steps)], s)
	return &contextHandler{base: h.base, steps: steps, current: current}
}
