package mmsim.cpu;

/** An int or long access whose address is not a multiple of its size (it could straddle two pages). */
public final class MisalignedAccessException extends IllegalArgumentException {
    public MisalignedAccessException(long va, int size) {
        super(size + "-byte access at 0x" + Long.toHexString(va) + " is not " + size + "-byte aligned");
    }
}
