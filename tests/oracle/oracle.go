// The differential oracle for dockgate's sandbox, built against the engine's own Go types (Debian's
// golang-github-docker-docker-dev, moby 20.10) rather than a reading of them.
//
//	oracle fields DOCKGATE        compares `dockgate policy fields --json` with the Go types by reflection:
//	                              a field with no row, a row with no field, or a wire kind that disagrees fails
//	oracle fuzz JUDGE CORPUS SECS mutates the corpus's real client bodies for SECS seconds; each body goes to
//	                              JUDGE (dockgate-judge) and through moby's own decoder; a body dockgate
//	                              allows whose decoded form escapes fails the run
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/runconfig"
)

var roots = map[string]reflect.Type{
	"runconfig.ContainerConfigWrapper": reflect.TypeOf(runconfig.ContainerConfigWrapper{}),
	"container.UpdateConfig":           reflect.TypeOf(container.UpdateConfig{}),
	"types.ExecConfig":                 reflect.TypeOf(types.ExecConfig{}),
	"volume.VolumeCreateBody":          reflect.TypeOf(volume.VolumeCreateBody{}),
	"types.NetworkCreateRequest":       reflect.TypeOf(types.NetworkCreateRequest{}),
	"swarm.ServiceSpec":                reflect.TypeOf(swarm.ServiceSpec{}),
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "oracle: "+format+"\n", args...)
	os.Exit(1)
}

// ---- fields ----

type row struct {
	Name, Wire, Verdict, Shape, Since string
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t
}

// The wire name dockgate's tables use for a Go type, and the struct type behind it ("" for none).
func wireOf(t reflect.Type) (string, reflect.Type) {
	unmarshaler := reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	if reflect.PtrTo(t).Implements(unmarshaler) && t.Kind() == reflect.Slice {
		return "string_or_list", nil // strslice.StrSlice
	}
	t = deref(t)
	switch t.Kind() {
	case reflect.Bool:
		return "boolean", nil
	case reflect.String:
		return "string", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer", nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "unsigned", nil
	case reflect.Float32, reflect.Float64:
		return "number", nil
	case reflect.Struct:
		return "object", t
	case reflect.Slice, reflect.Array:
		e := deref(t.Elem())
		switch e.Kind() {
		case reflect.String:
			return "string_list", nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return "unsigned_list", nil
		case reflect.Struct:
			return "object_list", e
		case reflect.Slice:
			return "string_list_list", nil
		}
	case reflect.Map:
		e := deref(t.Elem())
		switch e.Kind() {
		case reflect.String:
			return "string_map", nil
		case reflect.Struct:
			return "object_map", e
		case reflect.Slice:
			return "object_list_map", deref(e.Elem())
		}
	}
	return "unknown " + t.String(), nil
}

// The fields encoding/json decodes into, embedded structs flattened (no Docker type has a conflict).
func jsonFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct {
			out = append(out, jsonFields(deref(f.Type))...)
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name != "" {
			f.Name = name
		}
		out = append(out, f)
	}
	return out
}

func checkFields(dockgate string) {
	out, err := exec.Command(dockgate, "policy", "fields", "--json").Output()
	if err != nil {
		fail("%s policy fields --json: %v", dockgate, err)
	}
	var tables struct {
		Shapes map[string][]row
	}
	if err := json.Unmarshal(out, &tables); err != nil {
		fail("reading the tables: %v", err)
	}
	problems := 0
	checked := 0
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		rows, ok := tables.Shapes[t.String()]
		if !ok {
			fmt.Printf("no table for %s\n", t)
			problems++
			return
		}
		byName := map[string]row{}
		for _, r := range rows {
			byName[r.Name] = r
		}
		for _, f := range jsonFields(t) {
			wire, inner := wireOf(f.Type)
			r, ok := byName[f.Name]
			if !ok {
				fmt.Printf("%s.%s (%s) has no row: a field dockgate would refuse to every sandboxed role\n", t, f.Name, wire)
				problems++
				continue
			}
			delete(byName, f.Name)
			checked++
			if r.Wire != wire {
				fmt.Printf("%s.%s: the table says %s, Go decodes %s\n", t, f.Name, r.Wire, wire)
				problems++
			}
			if inner != nil && r.Verdict != "refused" {
				if r.Shape != inner.String() {
					fmt.Printf("%s.%s: the table's shape is %q, Go's type %s\n", t, f.Name, r.Shape, inner)
					problems++
				}
				walk(inner)
			}
		}
		for name, r := range byName {
			if r.Since == "" {
				fmt.Printf("%s.%s is a row for no field of moby 20.10 (mark the API version that added it)\n", t, name)
				problems++
			}
		}
	}
	for _, t := range roots {
		walk(t)
	}
	if problems > 0 {
		fail("%d disagreements between the tables and moby's types", problems)
	}
	fmt.Printf("oracle fields: %d fields of %d Go types agree with dockgate's tables\n", checked, len(seen))
}

// ---- fuzz ----

type judge struct {
	cmd *exec.Cmd
	in  *bufio.Writer
	out *bufio.Reader
}

func startJudge(path string) *judge {
	cmd := exec.Command(path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fail("starting %s: %v", path, err)
	}
	return &judge{cmd, bufio.NewWriter(stdin), bufio.NewReader(stdout)}
}

func (j *judge) decide(endpoint string, body []byte) (bool, string) {
	fmt.Fprintf(j.in, "%s %d\n", endpoint, len(body))
	j.in.Write(body)
	j.in.Flush()
	line, err := j.out.ReadString('\n')
	if err != nil {
		fail("the judge stopped: %v", err)
	}
	return strings.HasPrefix(line, "allow"), strings.TrimSpace(line)
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "fields" {
		checkFields(os.Args[2])
		return
	}
	if len(os.Args) >= 5 && os.Args[1] == "fuzz" {
		secs, _ := strconv.Atoi(os.Args[4])
		seed := time.Now().UnixNano()
		if s := os.Getenv("ORACLE_SEED"); s != "" {
			seed, _ = strconv.ParseInt(s, 10, 64)
		}
		fuzz(os.Args[2], os.Args[3], time.Duration(secs)*time.Second, seed)
		return
	}
	fail("usage: oracle fields DOCKGATE | oracle fuzz JUDGE CORPUS SECONDS")
}

type seedBody struct {
	endpoint string
	body     []byte
}

func loadCorpus(dir string) []seedBody {
	index, err := os.ReadFile(filepath.Join(dir, "index.tsv"))
	if err != nil {
		fail("%v", err)
	}
	var out []seedBody
	for _, line := range strings.Split(strings.TrimSpace(string(index)), "\n") {
		parts := strings.Split(line, "\t")
		body, err := os.ReadFile(filepath.Join(dir, parts[0]))
		if err != nil {
			fail("%v", err)
		}
		out = append(out, seedBody{parts[1], body})
	}
	return out
}

func fuzz(judgePath, corpusDir string, budget time.Duration, seed int64) {
	corpus := loadCorpus(corpusDir)
	j := startJudge(judgePath)
	r := rand.New(rand.NewSource(seed))
	deadline := time.Now().Add(budget)
	runs, allowed, refusedHarmless, engineRefused := 0, 0, 0, 0
	for _, s := range corpus { // every real body must be allowed and harmless
		ok, why := j.decide(s.endpoint, s.body)
		esc, err := escapes(s.endpoint, s.body)
		if err != nil || esc != "" || !ok {
			fail("corpus body for %s: allowed=%v (%s), engine error %v, escape %q:\n%s", s.endpoint, ok, why, err, esc, s.body)
		}
	}
	for time.Now().Before(deadline) {
		s := corpus[r.Intn(len(corpus))]
		body := mutate(r, s.body, s.endpoint)
		runs++
		ok, why := j.decide(s.endpoint, body)
		esc, err := escapes(s.endpoint, body)
		if err != nil {
			engineRefused++
		}
		if ok {
			allowed++
			if esc != "" {
				os.WriteFile("oracle-escape.json", body, 0o644)
				fail("dockgate allowed a %s body whose decoded form escapes (%s), seed %d; saved as oracle-escape.json:\n%s",
					s.endpoint, esc, seed, body)
			}
		} else if err == nil && esc == "" {
			refusedHarmless++
			if os.Getenv("ORACLE_VERBOSE") != "" {
				fmt.Printf("refused but harmless: %s\n  %s\n", why, body)
			}
		}
	}
	j.cmd.Process.Kill()
	fmt.Printf("oracle fuzz: %d mutated bodies (seed %d): %d allowed, none escaping; %d refused by the engine's decoder; "+
		"%d refused by dockgate though harmless once decoded\n", runs, seed, allowed, engineRefused, refusedHarmless)
}

var _ = bytes.Equal
