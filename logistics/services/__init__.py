"""Courier workflows, one module each: waybills (buy and ship), tracking (subscribe, pushes, polling), batches."""
