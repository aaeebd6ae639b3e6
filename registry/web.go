package registry

import "net/http"

func (l *Log) webRoutes(mux *http.ServeMux) {}
