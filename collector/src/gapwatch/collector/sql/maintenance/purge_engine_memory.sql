-- Hand the embedded engine's freed memory back to the OS (jemalloc keeps dirty pages for a
-- while). Returns nothing; no parameters.
SYSTEM JEMALLOC PURGE
