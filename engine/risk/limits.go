package risk

import (
	"errors"
	"fmt"
)

// Limits bound what the engine may do. Zero means "not set"; live mode
// refuses to start unless every limit is set.
type Limits struct {
	// MaxNotional caps the input of a single trade (lamports).
	MaxNotional uint64 `yaml:"max_notional_lamports"`
	// MaxOpenExposure caps the sum of inputs of trades not yet settled.
	MaxOpenExposure uint64 `yaml:"max_open_exposure_lamports"`
	// DailyLossLimit stops trading once realised losses in a UTC day reach it.
	DailyLossLimit uint64 `yaml:"daily_loss_limit_lamports"`
	// MaxConsecutiveFailures trips the circuit breaker.
	MaxConsecutiveFailures int `yaml:"max_consecutive_failures"`
}

// Validate checks internal consistency.
func (l Limits) Validate() error {
	if l.MaxConsecutiveFailures < 0 {
		return fmt.Errorf("max_consecutive_failures %d is negative", l.MaxConsecutiveFailures)
	}
	if l.MaxNotional > 0 && l.MaxOpenExposure > 0 && l.MaxOpenExposure < l.MaxNotional {
		return fmt.Errorf("max_open_exposure %d is below max_notional %d", l.MaxOpenExposure, l.MaxNotional)
	}
	return nil
}

// CompleteForLive reports which limits are missing for live trading.
func (l Limits) CompleteForLive() error {
	var errs []error
	if l.MaxNotional == 0 {
		errs = append(errs, errors.New("risk.max_notional_lamports is not set"))
	}
	if l.MaxOpenExposure == 0 {
		errs = append(errs, errors.New("risk.max_open_exposure_lamports is not set"))
	}
	if l.DailyLossLimit == 0 {
		errs = append(errs, errors.New("risk.daily_loss_limit_lamports is not set"))
	}
	if l.MaxConsecutiveFailures == 0 {
		errs = append(errs, errors.New("risk.max_consecutive_failures is not set"))
	}
	return errors.Join(errs...)
}
