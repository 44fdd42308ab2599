package deploy

import (
	"fmt"
	"regexp"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// Object is one decoded manifest with where it came from.
type Object struct {
	Doc Document
	// Obj is a pointer to the typed k8s.io/api struct for the document's kind.
	Obj any
}

// newTyped returns the k8s.io/api type for an apiVersion/kind this project
// deploys. Anything else is refused: an unknown kind cannot be checked, and
// silently skipping it would let it through unchecked.
func newTyped(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	}
	return nil, false
}

// DecodeManifests decodes every document of a manifest file strictly into
// its k8s.io/api type: unknown or misspelt fields, duplicate keys and wrong
// value types are errors, as they are for `kubectl apply --validate=strict`.
func DecodeManifests(file string, data []byte) ([]Object, []Problem) {
	docs, err := SplitDocuments(file, data)
	if err != nil {
		return nil, []Problem{{File: file, Msg: err.Error()}}
	}
	var objs []Object
	var probs []Problem
	for _, d := range docs {
		if d.Root == nil {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(d.Raw, &tm); err != nil {
			probs = append(probs, d.decodeProblem("decoding", err))
			continue
		}
		obj, ok := newTyped(tm.APIVersion, tm.Kind)
		if !ok {
			probs = append(probs, Problem{File: file, Line: d.LineOf("kind"),
				Msg: fmt.Sprintf("unsupported apiVersion/kind %q/%q", tm.APIVersion, tm.Kind)})
			continue
		}
		if ps := d.strictDecode("decoding "+tm.Kind+" strictly", obj); len(ps) > 0 {
			probs = append(probs, ps...)
			continue
		}
		objs = append(objs, Object{Doc: d, Obj: obj})
	}
	return objs, probs
}

// digestRef is an image reference by sha256 digest and nothing else: a tag
// beside the digest would suggest the tag matters when the runtime ignores it.
var digestRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+@sha256:[0-9a-f]{64}$`)

// PodTemplate is the pod part of a workload with the path to it in the
// document, so findings can be placed on a line.
type PodTemplate struct {
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	Path []string
}

// PodTemplateOf returns the pod template of a workload object, or false.
func PodTemplateOf(obj any) (PodTemplate, bool) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return PodTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, []string{"spec", "template", "spec"}}, true
	}
	return PodTemplate{}, false
}

// CheckWorkload applies the deployment rules to one decoded object: images
// by digest, the Pod Security "restricted" profile (latest version) as the
// API server's admission plugin evaluates it, and the hardening that profile
// does not cover (read-only root filesystem, UID 65532, memory limit,
// read-only secret mounts).
func CheckWorkload(o Object) []Problem {
	pt, ok := PodTemplateOf(o.Obj)
	if !ok {
		return nil
	}
	d := o.Doc
	var out []Problem
	at := func(path []string, format string, args ...any) {
		out = append(out, Problem{File: d.File, Line: d.LineOf(path...), Msg: fmt.Sprintf(format, args...)})
	}
	sub := func(p ...string) []string { return append(append([]string{}, pt.Path...), p...) }

	eval, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		return []Problem{{File: d.File, Msg: fmt.Sprintf("building Pod Security evaluator: %v", err)}}
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, r := range eval.EvaluatePod(restricted, pt.Meta, pt.Spec) {
		if !r.Allowed {
			at(pt.Path, "Pod Security restricted: %s (%s)", r.ForbiddenReason, r.ForbiddenDetail)
		}
	}

	secretVolumes := map[string]bool{}
	for _, v := range pt.Spec.Volumes {
		if v.Secret != nil {
			secretVolumes[v.Name] = true
		}
	}
	lists := []struct {
		key string
		cs  []corev1.Container
	}{{"initContainers", pt.Spec.InitContainers}, {"containers", pt.Spec.Containers}}
	for _, l := range lists {
		for i, c := range l.cs {
			p := func(rest ...string) []string { return sub(append([]string{l.key, strconv.Itoa(i)}, rest...)...) }
			if !digestRef.MatchString(c.Image) {
				at(p("image"), "container %q image %q is not referenced by digest (want REPO@sha256:<64 hex>, no tag)", c.Name, c.Image)
			}
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				at(p("securityContext"), "container %q must set securityContext.readOnlyRootFilesystem: true", c.Name)
			}
			if uid := effectiveUID(pt.Spec, c); uid != 65532 {
				at(p("securityContext"), "container %q must run as UID 65532 (the image's nonroot user), got %d", c.Name, uid)
			}
			lim, ok := c.Resources.Limits[corev1.ResourceMemory]
			if !ok {
				at(p("resources"), "container %q has no memory limit", c.Name)
			} else if lim.Cmp(resource.MustParse("64Mi")) > 0 {
				at(p("resources", "limits", "memory"), "container %q memory limit %s exceeds 64Mi", c.Name, lim.String())
			}
			for j, m := range c.VolumeMounts {
				if secretVolumes[m.Name] && !m.ReadOnly {
					at(p("volumeMounts", strconv.Itoa(j)), "secret volume %q must be mounted readOnly", m.Name)
				}
			}
		}
	}
	return out
}

// effectiveUID is the UID a container runs as: its own runAsUser, else the
// pod's, else -1 (the image decides, which this project does not accept).
func effectiveUID(spec *corev1.PodSpec, c corev1.Container) int64 {
	if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
		return *c.SecurityContext.RunAsUser
	}
	if spec.SecurityContext != nil && spec.SecurityContext.RunAsUser != nil {
		return *spec.SecurityContext.RunAsUser
	}
	return -1
}

// ImageRef is a container image as written in a manifest, with its position.
type ImageRef struct {
	File  string
	Line  int
	Image string
}

// Images returns every container image of a workload with its file line.
func Images(o Object) []ImageRef {
	pt, ok := PodTemplateOf(o.Obj)
	if !ok {
		return nil
	}
	var out []ImageRef
	for _, l := range []struct {
		key string
		cs  []corev1.Container
	}{{"initContainers", pt.Spec.InitContainers}, {"containers", pt.Spec.Containers}} {
		for i, c := range l.cs {
			path := append(append([]string{}, pt.Path...), l.key, strconv.Itoa(i), "image")
			out = append(out, ImageRef{File: o.Doc.File, Line: o.Doc.LineOf(path...), Image: c.Image})
		}
	}
	return out
}
