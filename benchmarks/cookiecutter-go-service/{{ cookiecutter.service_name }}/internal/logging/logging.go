// Package logging builds the service's logger: one JSON object a line, for log collectors.
package logging

import (
	"io"
	"log/slog"
)

// New returns a logger that writes JSON lines to w, with the keys time, level and msg followed
// by each record's attributes, dropping records below level. Changing level later changes what
// the logger writes from then on.
func New(w io.Writer, level *slog.LevelVar) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
