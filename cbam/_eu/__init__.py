"""The EU CBAM definitive period (from 2026): its reference data and rules."""
