package strategy

import "testing"

// BenchmarkEvaluate prices the real pre/post-swap pair (an opportunity:
// the full ternary search runs). Target: < 10 µs, 0 allocs.
func BenchmarkEvaluate(b *testing.B) {
	p := DefaultParams()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(realPost, realPre, p, 10_000_000_000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateNoOpportunity is the common case: pools agree, the
// exact 256-bit price test rejects at once.
func BenchmarkEvaluateNoOpportunity(b *testing.B) {
	p := DefaultParams()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(realPre, realPre, p, 0); err == nil {
			b.Fatal("opportunity between identical pools")
		}
	}
}
