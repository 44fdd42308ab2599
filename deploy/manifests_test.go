package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/config"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// productionObjects decodes k8s/production strictly; any problem fails.
func productionObjects(t *testing.T) []Object {
	t.Helper()
	var all []Object
	for _, f := range repoFiles(t, "k8s/production/*.yaml") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, ps := DecodeManifests(rel(t, f), data)
		if len(ps) > 0 {
			t.Fatalf("decoding:\n%s", problemsText(ps))
		}
		all = append(all, objs...)
	}
	return all
}

func TestProductionManifestsStrictAndRestricted(t *testing.T) {
	objs := productionObjects(t)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[fmt.Sprintf("%T", o.Obj)]++
		if ps := CheckWorkload(o); len(ps) > 0 {
			t.Errorf("workload problems:\n%s", problemsText(ps))
		}
	}
	for _, k := range []string{"*v1.Namespace", "*v1.ServiceAccount", "*v1.Deployment", "*v1.NetworkPolicy", "*v1.PodDisruptionBudget", "*v1.ConfigMap", "*v1.Service"} {
		if kinds[k] != 1 {
			t.Errorf("want exactly one %s in k8s/production, got %d", k, kinds[k])
		}
	}
}

func find[T any](t *testing.T, objs []Object) (T, Object) {
	t.Helper()
	for _, o := range objs {
		if v, ok := o.Obj.(T); ok {
			return v, o
		}
	}
	var zero T
	t.Fatalf("no %T in k8s/production", zero)
	return zero, Object{}
}

func TestProductionNamespaceOptsIn(t *testing.T) {
	objs := productionObjects(t)
	ns, _ := find[*corev1.Namespace](t, objs)
	for k, want := range map[string]string{
		"policy.sigstore.dev/include":        "true",
		"pod-security.kubernetes.io/enforce": "restricted",
	} {
		if got := ns.Labels[k]; got != want {
			t.Errorf("Namespace %s label %s = %q, want %q", ns.Name, k, got, want)
		}
	}
	for _, o := range objs {
		if _, isNS := o.Obj.(*corev1.Namespace); isNS {
			continue
		}
		type namespaced interface{ GetNamespace() string }
		if n := o.Obj.(namespaced).GetNamespace(); n != ns.Name {
			t.Errorf("%s:%d: namespace %q, want %q (the opted-in namespace)", o.Doc.File, o.Doc.LineOf("metadata"), n, ns.Name)
		}
	}
}

func TestProductionDeployment(t *testing.T) {
	objs := productionObjects(t)
	dep, _ := find[*appsv1.Deployment](t, objs)
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if !strings.HasPrefix(c.Image, "ghcr.io/hft-ninja/hft-ninja@sha256:") {
		t.Errorf("image %q is not ghcr.io/hft-ninja/hft-ninja by digest", c.Image)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 {
		t.Errorf("want one container port http/8080, got %+v", c.Ports)
	}
	for name, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || p.HTTPGet.Port.String() != "http" {
			t.Errorf("want an HTTP probe on %s port http, got %+v", name, p)
		}
	}
	if got := dep.Spec.Template.Annotations["prometheus.io/path"]; got != "/metrics" {
		t.Errorf("metrics annotation prometheus.io/path = %q, want /metrics", got)
	}
	if lim := c.Resources.Limits[corev1.ResourceMemory]; lim.Cmp(resource.MustParse("64Mi")) != 0 {
		t.Errorf("memory limit = %s, want 64Mi", lim.String())
	}
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 || dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("want 1 replica with Recreate: one engine per wallet, also during rollouts")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("pod must not mount a service account token")
	}
	var wallet *corev1.Volume
	for i := range spec.Volumes {
		if spec.Volumes[i].Secret != nil {
			wallet = &spec.Volumes[i]
		}
	}
	if wallet == nil || wallet.Secret.SecretName != "hft-ninja-wallet" {
		t.Fatalf("want the wallet Secret hft-ninja-wallet as a volume")
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.Name == wallet.Name {
			mounted = m.ReadOnly
		}
	}
	if !mounted {
		t.Errorf("wallet volume must be mounted readOnly")
	}
	wantArgs := []string{"run", "--config", "/etc/hft-ninja/config.yaml"}
	if fmt.Sprint(c.Args) != fmt.Sprint(wantArgs) {
		t.Errorf("args = %v, want %v", c.Args, wantArgs)
	}
}

// The ConfigMap is read by the engine's own loader (unknown keys rejected)
// and validated as the engine validates at start; its admin address must be
// the container port the probes and metrics use.
func TestProductionEngineConfig(t *testing.T) {
	objs := productionObjects(t)
	cm, _ := find[*corev1.ConfigMap](t, objs)
	raw, ok := cm.Data["config.yaml"]
	if !ok {
		t.Fatal("ConfigMap has no config.yaml")
	}
	s, err := config.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("engine rejects k8s/production config.yaml: %v", err)
	}
	if err := s.Engine.Validate(); err != nil {
		t.Fatalf("engine config invalid: %v", err)
	}
	if !strings.HasSuffix(s.Engine.AdminAddr, ":8080") || strings.HasPrefix(s.Engine.AdminAddr, "127.") {
		t.Errorf("admin_addr %q must listen on all interfaces, port 8080", s.Engine.AdminAddr)
	}
	dep, _ := find[*appsv1.Deployment](t, objs)
	var mountPath string
	for _, m := range dep.Spec.Template.Spec.Containers[0].VolumeMounts {
		if m.Name == "wallet" {
			mountPath = m.MountPath
		}
	}
	if mountPath == "" || !strings.HasPrefix(s.WalletPath, mountPath+"/") {
		t.Errorf("wallet path %q is not under the wallet mount %q", s.WalletPath, mountPath)
	}
}

func TestProductionNetworkPolicy(t *testing.T) {
	objs := productionObjects(t)
	np, _ := find[*networkingv1.NetworkPolicy](t, objs)
	dep, _ := find[*appsv1.Deployment](t, objs)
	if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != dep.Spec.Template.Labels["app.kubernetes.io/name"] {
		t.Errorf("NetworkPolicy does not select the engine's pods")
	}
	if len(np.Spec.PolicyTypes) != 2 {
		t.Errorf("policyTypes must be Ingress and Egress (default deny both), got %v", np.Spec.PolicyTypes)
	}
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			if p.Port == nil || (p.Port.IntValue() != 53 && p.Port.IntValue() != 443) {
				t.Errorf("egress port %v: only DNS (53) and RPC (443) are allowed", p.Port)
			}
		}
		if len(r.Ports) == 0 {
			t.Errorf("an egress rule without ports allows every port")
		}
	}
	if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].Ports) != 1 || np.Spec.Ingress[0].Ports[0].Port.String() != "http" {
		t.Errorf("ingress must be the metrics port (http) only, got %+v", np.Spec.Ingress)
	}
}

func TestProductionPDB(t *testing.T) {
	objs := productionObjects(t)
	pdb, _ := find[*policyv1.PodDisruptionBudget](t, objs)
	dep, _ := find[*appsv1.Deployment](t, objs)
	if pdb.Spec.Selector == nil || pdb.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != dep.Spec.Template.Labels["app.kubernetes.io/name"] {
		t.Errorf("PodDisruptionBudget does not select the engine's pods")
	}
}

// Every image deployed in production must be covered by the production
// admission policies, or the cluster would admit it unchecked.
func TestProductionImagesCoveredByPolicies(t *testing.T) {
	pols := productionPolicies(t, context.Background())
	for _, o := range productionObjects(t) {
		for _, img := range Images(o) {
			for _, p := range pols {
				ok, err := p.Matches(img.Image)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					t.Errorf("%s:%d: image %s is not matched by policy %s (%s)", img.File, img.Line, img.Image, p.CIP.Name, p.Doc.File)
				}
			}
		}
	}
}

func TestManifestBadInputs(t *testing.T) {
	dir := filepath.Join("testdata", "manifests")
	cases := []struct {
		file, marker, want string
	}{
		{"tag-instead-of-digest.yaml", "image: ghcr.io/hft-ninja/hft-ninja:v1.2.3", "is not referenced by digest"},
		{"tag-and-digest.yaml", "image: ghcr.io/hft-ninja/hft-ninja:v1.2.3@sha256", "is not referenced by digest"},
		{"typo-field.yaml", "readOnlyRootFilesytem", `unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem"`},
		{"not-restricted.yaml", "    spec:", "Pod Security restricted"},
		{"writable-secret.yaml", "- name: wallet", `secret volume "wallet" must be mounted readOnly`},
		{"memory-limit.yaml", "memory: 1Gi", "exceeds 64Mi"},
		{"unknown-kind.yaml", "kind: CronJob", "unsupported apiVersion/kind"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			objs, ps := DecodeManifests(path, data)
			for _, o := range objs {
				ps = append(ps, CheckWorkload(o)...)
			}
			wantProblemAt(t, ps, path, c.marker, c.want)
		})
	}
}
