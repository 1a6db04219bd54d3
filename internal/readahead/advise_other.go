//go:build !(linux && (amd64 || arm64))

package readahead

import (
	"errors"
	"os"
)

func advise(*os.File, int64, int64) {}

func drop(*os.File, int64, int64) {}

func cachedPages(*os.File, int64, int64) (int, int, error) {
	return 0, 0, errors.New("readahead: the page cache cannot be asked here")
}
