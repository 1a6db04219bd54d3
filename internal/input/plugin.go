// What a plugin says about its inputs (WholeFiles), read from its ELF file
// without loading it: the coordinator needs it before any worker joins,
// and a binary cannot load a plugin built with other flags.

package input

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"strings"
)

// WholeFiles reports whether the plugin at path exports a variable
// WholeFiles set to true where it is declared (var WholeFiles = true): an
// app that needs each input whole, never cut into splits, as Hadoop's
// isSplitable() == false. It reads the plugin's symbol table and the
// variable's initial value; a value set later (in init) is not seen, and
// LoadPlugin's caller can compare the two (see mr.App.WholeFiles). A file
// that is not an ELF file declares nothing: loading it fails, in the
// loader's words.
func WholeFiles(path string) (bool, error) {
	file, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("mr: plugin %s: %w", path, unwrapPath(err))
	}
	defer file.Close()
	f, err := elf.NewFile(file)
	if err != nil {
		return false, nil // not a plugin: whoever loads it says so
	}
	syms, err := f.DynamicSymbols()
	if errors.Is(err, elf.ErrNoSymbols) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mr: plugin %s: %w", path, err)
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_OBJECT || !isMainExport(s.Name, "WholeFiles") {
			continue
		}
		if int(s.Section) >= len(f.Sections) || s.Size != 1 {
			return false, fmt.Errorf("mr: plugin %s: WholeFiles is not a bool variable", path)
		}
		sec := f.Sections[s.Section]
		if sec.Type == elf.SHT_NOBITS { // zero-initialised: false
			return false, nil
		}
		b := make([]byte, 1)
		if _, err := sec.ReadAt(b, int64(s.Value-sec.Addr)); err != nil {
			return false, fmt.Errorf("mr: plugin %s: reading WholeFiles: %w", path, err)
		}
		return b[0] != 0, nil
	}
	return false, nil
}

// isMainExport reports whether an ELF symbol is the plugin's own exported
// name ("mapreduce/mrapps/wc.WholeFiles", "plugin/unnamed-….WholeFiles"),
// not another package's (".WholeFiles" after a path of no dots but the last).
func isMainExport(sym, name string) bool {
	pkg, ok := strings.CutSuffix(sym, "."+name)
	return ok && pkg != "" && !strings.Contains(pkg[strings.LastIndexByte(pkg, '/')+1:], ".")
}
