module github.com/srsr-dev/srsr/clients/go

// 1.19 is what Debian bookworm's golang-go provides, which CI installs; the client needs
// nothing newer than net/http and context.
go 1.19
