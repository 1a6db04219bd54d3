// Tests of CheckPlugin's one-line refusals.

package mr

import (
	"os"
	"path/filepath"
	"testing"
)

// A plugin named as its app, or without .so, gets one line suggesting the
// file meant; a file that exists is fine.
func TestCheckPluginSuggests(t *testing.T) {
	t.Chdir(t.TempDir())
	os.Mkdir("bin", 0o755)
	os.WriteFile(filepath.Join("bin", "wc.so"), nil, 0o644)
	for arg, want := range map[string]string{
		"wc":      "mr: plugin wc: no such file or directory (did you mean bin/wc.so?)",
		"bin/wc":  "mr: plugin bin/wc: no such file or directory (did you mean bin/wc.so?)",
		"grep.so": "mr: plugin grep.so: no such file or directory",
	} {
		if err := CheckPlugin(arg); err == nil || err.Error() != want {
			t.Errorf("CheckPlugin(%s) = %v, want %q", arg, err, want)
		}
	}
	if err := CheckPlugin("bin/wc.so"); err != nil {
		t.Errorf("an existing plugin: %v", err)
	}
}
