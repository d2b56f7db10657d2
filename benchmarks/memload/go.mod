module scaffold.local/benchmarks/memload

go 1.25.0
