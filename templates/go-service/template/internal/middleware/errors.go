package middleware

import (
	"encoding/json"
	"net/http"
	"strings"
)

// WriteError answers r with status and a JSON body naming the error and the request's ID, such
// as {"error":"not found","request_id":"4bf9..."}, so that a client quoting it can be found in
// the logs. Every error the service itself sends (404, 405, 413, 500, 503) has this shape;
// handlers can use it too.
func WriteError(w http.ResponseWriter, r *http.Request, status int, message string) {
	body, _ := json.Marshal(struct { // a struct of two strings always marshals
		Error     string `json:"error"`
		RequestID string `json:"request_id,omitempty"`
	}{message, RequestIDFrom(r.Context())})
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// errorBodies turns the plain-text error the mux writes for a request it cannot route (404, 405)
// into WriteError's JSON, keeping its status and headers such as Allow.
type errorBodies struct {
	http.ResponseWriter
	r       *http.Request
	written bool // the JSON body is out: drop the mux's text
}

func (w *errorBodies) WriteHeader(status int) {
	if status < http.StatusBadRequest {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.written = true
	WriteError(w.ResponseWriter, w.r, status, strings.ToLower(http.StatusText(status)))
}

func (w *errorBodies) Write(b []byte) (int, error) {
	if w.written {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *errorBodies) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}
