//! The limits a run is held to: guest CPU time, checked at every epoch tick,
//! and linear memory, checked by a resource limiter as it grows.

use std::time::Duration;

use thiserror::Error;
use wasmtime::ResourceLimiter;

/// How often the epoch advances, and so how late a CPU limit may be noticed.
pub const TICK: Duration = Duration::from_millis(10);

/// Raised from the epoch callback: the guest used up its CPU time.
#[derive(Debug, Error)]
#[error("CPU limit reached")]
pub struct CpuLimitReached;

/// Raised from the epoch callback: the run used up its wall-clock time.
#[derive(Debug, Error)]
#[error("wall-clock limit reached")]
pub struct WallLimitReached;

/// Raised from the limiter: the guest asked for more memory than it may have.
#[derive(Debug, Error)]
#[error("memory limit reached")]
pub struct MemoryLimitReached;

/// Refuses linear memory beyond `max` bytes, and remembers that it did.
pub struct MemoryLimiter {
    max: usize,
    /// Whether the limit was hit (a trap that follows is then the limit's).
    pub hit: bool,
}

impl MemoryLimiter {
    /// A limiter allowing `max` bytes.
    pub fn new(max: usize) -> MemoryLimiter {
        MemoryLimiter { max, hit: false }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            return Err(MemoryLimitReached.into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any plugin.
        Ok(desired <= 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_beyond_the_limit_is_refused_and_remembered() {
        let mut limiter = MemoryLimiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!limiter.hit);
        let err = limiter
            .memory_growing(1 << 20, (1 << 20) + 1, None)
            .unwrap_err();
        assert!(err.downcast_ref::<MemoryLimitReached>().is_some());
        assert!(limiter.hit);
        assert!(limiter.table_growing(0, 1_000_000, None).unwrap());
        assert!(!limiter.table_growing(0, 1_000_001, None).unwrap());
    }
}
