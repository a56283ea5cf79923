package main

// Mutations of real client bodies, aimed at where two JSON readers can disagree: repeated and case-folded
// keys, nulls, repeated arrays and objects, escapes, other kinds and numbers, and injected dangerous fields.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
)

// An ordered JSON tree that keeps repeated keys (encoding/json's own types cannot).
type node struct {
	kind    byte // 'o' object, 'a' array, 'v' any other value (raw text)
	raw     string
	keys    []string
	members []*node
}

type reader struct {
	d *json.Decoder
}

func parseTree(body []byte) (*node, bool) {
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	n, err := (&reader{d}).value()
	return n, err == nil
}

func (r *reader) value() (*node, error) {
	t, err := r.d.Token()
	if err != nil {
		return nil, err
	}
	switch v := t.(type) {
	case json.Delim:
		n := &node{kind: 'o'}
		if v == '[' {
			n.kind = 'a'
		}
		for r.d.More() {
			if n.kind == 'o' {
				k, err := r.d.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			m, err := r.value()
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, m)
		}
		_, err := r.d.Token()
		return n, err
	default:
		raw, _ := json.Marshal(v)
		return &node{kind: 'v', raw: string(raw)}, nil
	}
}

func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	switch n.kind {
	case 'v':
		b.WriteString(n.raw)
	case 'a':
		b.WriteByte('[')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			m.write(b)
		}
		b.WriteByte(']')
	case 'o':
		b.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.keys[i]) // keys are kept as raw JSON strings once mutated
			b.WriteByte(':')
			m.write(b)
		}
		b.WriteByte('}')
	}
}

func (n *node) clone() *node {
	c := &node{kind: n.kind, raw: n.raw, keys: append([]string(nil), n.keys...)}
	for _, m := range n.members {
		c.members = append(c.members, m.clone())
	}
	return c
}

// Every object in the tree.
func (n *node) objects(out *[]*node) {
	if n.kind == 'o' {
		*out = append(*out, n)
	}
	for _, m := range n.members {
		m.objects(out)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// A spelling of a key that Go's decoder matches to the same field.
func spell(r *rand.Rand, key string) string {
	switch r.Intn(6) {
	case 0:
		return quote(strings.ToLower(key))
	case 1:
		return quote(strings.ToUpper(key))
	case 2:
		return quote(strings.Replace(strings.Replace(key, "s", "\u017f", 1), "k", "\u212a", 1))
	case 3:
		if key == "" {
			return quote(key)
		}
		return `"` + fmt.Sprintf(`\u%04x`, key[0]) + strings.Trim(quote(key[1:]), `"`) + `"`
	default:
		return quote(key)
	}
}

var dangerous = []struct{ key, value string }{
	{"Privileged", "true"}, {"Binds", `["/:/host"]`}, {"NetworkMode", `"host"`}, {"PidMode", `"host"`},
	{"IpcMode", `"host"`}, {"UTSMode", `"host"`}, {"UsernsMode", `"host"`}, {"CapAdd", `["SYS_ADMIN"]`},
	{"CapAdd", `"ALL"`}, {"CapAdd", `["cap_\u017fys_admin"]`}, {"SecurityOpt", `["apparmor=unconfined"]`},
	{"SecurityOpt", `["label=disable"]`}, {"SecurityOpt", `["seccomp=unconfined"]`},
	{"MaskedPaths", `[]`}, {"MaskedPaths", `["/proc/kcore"]`}, {"ReadonlyPaths", `["/proc/bus"]`},
	{"Sysctls", `{"kernel.core_pattern":"|/x"}`}, {"Runtime", `"kata"`}, {"CgroupParent", `"/"`},
	{"Cgroup", `"container:x"`}, {"VolumesFrom", `["x"]`}, {"Devices", `[{"PathOnHost":"/dev/sda"}]`},
	{"DeviceCgroupRules", `["a *:* rwm"]`}, {"VolumeDriver", `"plugin"`},
	{"Mounts", `[{"Type":"bind","Source":"/","Target":"/h"}]`},
	{"Mounts", `[{"Type":"volume","Target":"/h","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"bind","device":"/"}}}}]`},
	{"LogConfig", `{"Type":"syslog","Config":{"syslog-address":"unix:///run/x"}}`},
	{"HostConfig", `{"Privileged":true}`}, {"NetworkingConfig", `{"EndpointsConfig":{"host":{}}}`},
	{"DriverOpts", `{"type":"none","o":"bind","device":"/"}`}, {"Driver", `"macvlan"`},
	{"Options", `{"com.docker.network.bridge.name":"docker0"}`}, {"ConfigFrom", `{"Network":"x"}`},
}

var otherValues = []string{"null", "true", "false", "0", "1", "-1", "1.0", "1e0", "-0", `""`, `"host"`, "[]", "{}",
	`[null]`, `{"":null}`, `"\u0000"`}

func mutate(r *rand.Rand, body []byte, endpoint string) []byte {
	tree, ok := parseTree(body)
	if !ok {
		return body
	}
	tree = tree.clone()
	var objs []*node
	tree.objects(&objs)
	// Keys as raw JSON strings from here on.
	for _, o := range objs {
		for i, k := range o.keys {
			o.keys[i] = quote(k)
		}
	}
	for steps := 1 + r.Intn(3); steps > 0; steps-- {
		o := objs[r.Intn(len(objs))]
		at := 0
		if len(o.members) > 0 {
			at = r.Intn(len(o.members))
		}
		plain := func(i int) string { var s string; json.Unmarshal([]byte(o.keys[i]), &s); return s }
		switch r.Intn(8) {
		case 0: // a dangerous field, in any spelling, anywhere
			d := dangerous[r.Intn(len(dangerous))]
			insert(o, at, spell(r, d.key), &node{kind: 'v', raw: d.value})
		case 1: // a key repeated with null after it
			if len(o.members) > 0 {
				insert(o, at+1, spell(r, plain(at)), &node{kind: 'v', raw: "null"})
			}
		case 2: // a key repeated with another value before or after it
			if len(o.members) > 0 {
				d := dangerous[r.Intn(len(dangerous))]
				insert(o, r.Intn(len(o.members)+1), spell(r, plain(at)), &node{kind: 'v', raw: d.value})
			}
		case 3: // a value of another kind
			if len(o.members) > 0 {
				o.members[at] = &node{kind: 'v', raw: otherValues[r.Intn(len(otherValues))]}
			}
		case 4: // a repeated array or object, its copy changed
			if len(o.members) > 0 && o.members[at].kind != 'v' {
				c := o.members[at].clone()
				var inner []*node
				c.objects(&inner)
				if len(inner) > 0 {
					d := dangerous[r.Intn(len(dangerous))]
					t := inner[r.Intn(len(inner))]
					for i, k := range t.keys {
						if !strings.HasPrefix(k, `"`) {
							t.keys[i] = quote(k)
						}
					}
					insert(t, 0, spell(r, d.key), &node{kind: 'v', raw: d.value})
				}
				if r.Intn(2) == 0 {
					insert(o, at+1, spell(r, plain(at)), c)
				} else {
					insert(o, at, spell(r, plain(at)), c)
				}
			}
		case 5: // a key respelled
			if len(o.members) > 0 {
				o.keys[at] = spell(r, plain(at))
			}
		case 6: // a member dropped
			if len(o.members) > 0 {
				o.keys = append(o.keys[:at], o.keys[at+1:]...)
				o.members = append(o.members[:at], o.members[at+1:]...)
			}
		case 7: // a byte changed
			s := []byte(tree.String())
			s[r.Intn(len(s))] = "{}[]\",:nt0 \\"[r.Intn(12)]
			return s
		}
	}
	return []byte(tree.String())
}

func insert(o *node, at int, key string, value *node) {
	if at > len(o.members) {
		at = len(o.members)
	}
	o.keys = append(o.keys[:at], append([]string{key}, o.keys[at:]...)...)
	o.members = append(o.members[:at], append([]*node{value}, o.members[at:]...)...)
}
