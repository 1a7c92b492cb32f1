package mmsim.cpu;

/** Why the MMU could not translate an access. */
public enum FaultKind {
    /** No present translation for the page (or the address is outside user space). */
    NOT_PRESENT,
    /** A write to a present page whose effective permission is read-only (copy-on-write, or truly read-only). */
    PROTECTION
}
