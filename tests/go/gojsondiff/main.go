// Command gojsondiff reads JSON documents the way cosign, notation-go, zot and in-toto-golang
// do (Go's encoding/json into mirrors of their structs) and prints what it read, so that
// tests/it/go_differential.rs can compare it with what sigaudit reads from the same bytes.
//
// Standard library only (Go 1.19, Debian 12's golang-go), so it builds offline.
//
//	gojsondiff fold          every rune whose unicode.SimpleFold orbit is not itself, with the
//	                         smallest rune of its orbit (Go 1.21's foldName): "rune canon" in hex
//	gojsondiff decode DIR    one JSON line per file DIR/<kind>--<label>.json:
//	                         {"file":..., "ok":bool, "value":..., "error":...}
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// cosign's payload.SimpleContainerImage (sigstore/sigstore pkg/signature/payload).
type SimpleContainerImage struct {
	Critical Critical               `json:"critical"`
	Optional map[string]interface{} `json:"optional"`
}

type Critical struct {
	Identity Identity `json:"identity"`
	Image    Image    `json:"image"`
	Type     string   `json:"type"`
}

type Identity struct {
	DockerReference string `json:"docker-reference"`
}

type Image struct {
	DockerManifestDigest string `json:"docker-manifest-digest"`
}

// ocispec.Descriptor and Platform (image-spec v1.1).
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

type Platform struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
	Variant      string   `json:"variant,omitempty"`
}

// notation-go's envelope.Payload.
type NotationPayload struct {
	TargetArtifact Descriptor `json:"targetArtifact"`
}

// notation-go's trustpolicy.Document (OCI).
type Document struct {
	Version       string        `json:"version"`
	TrustPolicies []TrustPolicy `json:"trustPolicies"`
}

type TrustPolicy struct {
	Name                  string                `json:"name"`
	RegistryScopes        []string              `json:"registryScopes"`
	SignatureVerification SignatureVerification `json:"signatureVerification"`
	TrustStores           []string              `json:"trustStores"`
	TrustedIdentities     []string              `json:"trustedIdentities"`
}

type SignatureVerification struct {
	VerificationLevel string            `json:"level"`
	Override          map[string]string `json:"override,omitempty"`
	VerifyTimestamp   string            `json:"verifyTimestamp,omitempty"`
}

// in-toto-golang's Statement (v0.x, encoding/json).
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

type StatementHeader struct {
	Type          string    `json:"_type"`
	PredicateType string    `json:"predicateType"`
	Subject       []Subject `json:"subject"`
}

type Statement struct {
	StatementHeader
	Predicate interface{} `json:"predicate"`
}

// go-securesystemslib's dsse.Envelope.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func smap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// decode reads doc as the kind's Go reader does and returns the projection the Rust test
// compares.
func decode(kind string, doc []byte) (interface{}, error) {
	switch kind {
	case "cosign":
		var p SimpleContainerImage
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, err
		}
		return map[string]interface{}{
			"type":      p.Critical.Type,
			"digest":    p.Critical.Image.DockerManifestDigest,
			"reference": p.Critical.Identity.DockerReference,
		}, nil
	case "notation":
		var p NotationPayload
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, err
		}
		d := p.TargetArtifact
		return map[string]interface{}{
			"mediaType":    d.MediaType,
			"digest":       d.Digest,
			"size":         d.Size,
			"annotations":  smap(d.Annotations),
			"artifactType": d.ArtifactType,
			"urls":         strs(d.URLs),
			"data":         d.Data,
			"platform":     d.Platform != nil,
		}, nil
	case "policy":
		var p Document
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, err
		}
		policies := []interface{}{}
		for _, s := range p.TrustPolicies {
			policies = append(policies, map[string]interface{}{
				"name":            s.Name,
				"scopes":          strs(s.RegistryScopes),
				"level":           s.SignatureVerification.VerificationLevel,
				"override":        smap(s.SignatureVerification.Override),
				"verifyTimestamp": s.SignatureVerification.VerifyTimestamp,
				"stores":          strs(s.TrustStores),
				"identities":      strs(s.TrustedIdentities),
			})
		}
		return map[string]interface{}{"version": p.Version, "policies": policies}, nil
	case "statement":
		var s Statement
		if err := json.Unmarshal(doc, &s); err != nil {
			return nil, err
		}
		subjects := []interface{}{}
		for _, sub := range s.Subject {
			subjects = append(subjects, map[string]interface{}{"name": sub.Name, "digest": smap(sub.Digest)})
		}
		return map[string]interface{}{
			"type":          s.Type,
			"predicateType": s.PredicateType,
			"subjects":      subjects,
		}, nil
	case "dsse":
		var e Envelope
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, err
		}
		sigs := []string{}
		for _, s := range e.Signatures {
			sigs = append(sigs, s.Sig)
		}
		return map[string]interface{}{
			"payloadType": e.PayloadType,
			"payload":     e.Payload,
			"signatures":  sigs,
		}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// foldRune is Go 1.21's encoding/json foldRune: the smallest rune of r's SimpleFold orbit.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if len(os.Args) == 2 && os.Args[1] == "fold" {
		fmt.Fprintf(out, "unicode %s\n", unicode.Version)
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if unicode.SimpleFold(r) != r {
				fmt.Fprintf(out, "%x %x\n", r, foldRune(r))
			}
		}
		return
	}
	if len(os.Args) != 3 || os.Args[1] != "decode" {
		fmt.Fprintln(os.Stderr, "usage: gojsondiff fold | gojsondiff decode DIR")
		os.Exit(2)
	}
	entries, err := os.ReadDir(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		doc, err := os.ReadFile(filepath.Join(os.Args[2], name))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		kind := strings.SplitN(name, "--", 2)[0]
		line := map[string]interface{}{"file": name}
		if v, err := decode(kind, doc); err != nil {
			line["ok"] = false
			line["error"] = err.Error()
		} else {
			line["ok"] = true
			line["value"] = v
		}
		b, err := json.Marshal(line)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
}
