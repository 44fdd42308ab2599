package strategy

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// Params are the strategy thresholds and the transaction cost model. All
// amounts are integers in the smallest unit (lamports for SOL).
type Params struct {
	// MinProfit is the net profit (after all fees) an opportunity must exceed.
	MinProfit uint64 `yaml:"min_profit_lamports"`
	// MaxInput caps the optimal input size (0 = no cap beyond the reserves).
	MaxInput uint64 `yaml:"max_input_lamports"`
	// BaseFeeLamports is the signature fee per transaction (5000 per signature).
	BaseFeeLamports uint64 `yaml:"base_fee_lamports"`
	// ComputeUnitLimit and ComputeUnitPrice (micro-lamports per CU) set the priority fee.
	ComputeUnitLimit uint32 `yaml:"compute_unit_limit"`
	ComputeUnitPrice uint64 `yaml:"compute_unit_price_micro_lamports"`
	// JitoTipLamports is an optional tip paid with the bundle.
	JitoTipLamports uint64 `yaml:"jito_tip_lamports"`
	// TipAccount receives the tip (one of the Jito tip accounts).
	TipAccount solana.PublicKey `yaml:"tip_account"`
}

// DefaultParams is one signature, 300k CU at 1000 µlamports, no tip, 10k
// lamports minimum profit.
func DefaultParams() Params {
	return Params{
		MinProfit:        10_000,
		BaseFeeLamports:  5_000,
		ComputeUnitLimit: 300_000,
		ComputeUnitPrice: 1_000,
	}
}

// Validate checks the parameters.
func (p Params) Validate() error {
	var errs []error
	if p.ComputeUnitLimit == 0 || p.ComputeUnitLimit > 1_400_000 {
		errs = append(errs, fmt.Errorf("compute_unit_limit %d must be in 1..1400000", p.ComputeUnitLimit))
	}
	// Bounds keep CostLamports far from uint64/int64 overflow.
	if p.ComputeUnitPrice > 1_000_000_000_000 {
		errs = append(errs, fmt.Errorf("compute_unit_price_micro_lamports %d is absurd (max 1e12)", p.ComputeUnitPrice))
	}
	if p.JitoTipLamports > 1_000_000_000_000 || p.BaseFeeLamports > 1_000_000_000_000 || p.MinProfit > 1<<62 {
		errs = append(errs, errors.New("fees, tip and min profit must each be below 1000 SOL"))
	}
	if p.JitoTipLamports > 0 && p.TipAccount.IsZero() {
		errs = append(errs, errors.New("jito_tip_lamports needs tip_account"))
	}
	if p.BaseFeeLamports == 0 {
		errs = append(errs, errors.New("base_fee_lamports must be positive (a signature costs 5000)"))
	}
	return errors.Join(errs...)
}

// CostLamports is the total cost of landing one transaction: base fee,
// priority fee (CU price × limit, rounded up to a lamport) and tip.
func (p Params) CostLamports() uint64 {
	prio := (uint64(p.ComputeUnitLimit)*p.ComputeUnitPrice + 999_999) / 1_000_000
	return p.BaseFeeLamports + prio + p.JitoTipLamports
}
