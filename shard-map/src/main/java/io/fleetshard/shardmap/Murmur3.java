package io.fleetshard.shardmap;

/**
 * MurmurHash3 x64_128 (seed 0), returning the low 64 bits ({@code h1}), the same value as the first eight bytes of the
 * reference implementation's output read little-endian (Guava's {@code asLong()}).
 *
 * <p>Strings are hashed as their UTF-8 bytes, encoded on the fly: hashing allocates nothing.
 */
final class Murmur3 {
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private Murmur3() {
    }

    /** Hash of the UTF-8 bytes of {@code a + separator + b}, without building the string. */
    static long hash64(String a, char separator, String b) {
        if (isAscii(a) && isAscii(b) && separator < 0x80) {
            return asciiHash64(a, separator, b);
        }
        Hasher h = new Hasher();
        h.putUtf8(a);
        h.putUtf8Char(separator);
        h.putUtf8(b);
        return h.finish();
    }

    private static boolean isAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Byte {@code p} of the ASCII concatenation {@code a + sep + b}. */
    private static long byteAt(String a, char sep, String b, int p) {
        int la = a.length();
        return p < la ? a.charAt(p) : p == la ? sep : b.charAt(p - la - 1);
    }

    /** The hot path: ids are ASCII, so each char is one byte and all state stays in locals. */
    private static long asciiHash64(String a, char sep, String b) {
        int len = a.length() + 1 + b.length();
        long h1 = 0;
        long h2 = 0;
        int p = 0;
        for (; p + 16 <= len; p += 16) {
            long k1 = 0;
            long k2 = 0;
            for (int j = 0; j < 8; j++) {
                k1 |= byteAt(a, sep, b, p + j) << (8 * j);
                k2 |= byteAt(a, sep, b, p + 8 + j) << (8 * j);
            }
            h1 ^= Hasher.mixK1(k1);
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= Hasher.mixK2(k2);
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int rest = len - p;
        if (rest > 0) {
            long k1 = 0;
            long k2 = 0;
            for (int j = 0; j < rest; j++) {
                long v = byteAt(a, sep, b, p + j);
                if (j < 8) {
                    k1 |= v << (8 * j);
                } else {
                    k2 |= v << (8 * (j - 8));
                }
            }
            h1 ^= Hasher.mixK1(k1);
            h2 ^= Hasher.mixK2(k2);
        }
        h1 ^= len;
        h2 ^= len;
        h1 += h2;
        h2 += h1;
        h1 = Hasher.fmix64(h1);
        h2 = Hasher.fmix64(h2);
        return h1 + h2;
    }

    static long hash64(String s) {
        Hasher h = new Hasher();
        h.putUtf8(s);
        return h.finish();
    }

    static long hash64(byte[] bytes) {
        Hasher h = new Hasher();
        for (byte b : bytes) {
            h.putByte(b);
        }
        return h.finish();
    }

    /**
     * Streaming state. Escape analysis removes the allocation in the hot path; the fields hold a 16-byte block being
     * filled.
     */
    private static final class Hasher {
        private long h1;
        private long h2;
        private long k1;
        private long k2;
        private int blockFill; // bytes in the current block, 0..15
        private long length;

        void putUtf8(String s) {
            for (int i = 0, n = s.length(); i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    putByte(c);
                } else if (c < 0x800) {
                    putByte(0xc0 | (c >>> 6));
                    putByte(0x80 | (c & 0x3f));
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    putByte(0xf0 | (cp >>> 18));
                    putByte(0x80 | ((cp >>> 12) & 0x3f));
                    putByte(0x80 | ((cp >>> 6) & 0x3f));
                    putByte(0x80 | (cp & 0x3f));
                } else if (Character.isSurrogate(c)) {
                    putByte('?'); // unpaired surrogate: String.getBytes(UTF_8) also writes '?'
                } else {
                    putByte(0xe0 | (c >>> 12));
                    putByte(0x80 | ((c >>> 6) & 0x3f));
                    putByte(0x80 | (c & 0x3f));
                }
            }
        }

        void putUtf8Char(char c) {
            if (c >= 0x80) {
                throw new IllegalArgumentException("separator must be ASCII");
            }
            putByte(c);
        }

        void putByte(int b) {
            long v = b & 0xffL;
            if (blockFill < 8) {
                k1 |= v << (8 * blockFill);
            } else {
                k2 |= v << (8 * (blockFill - 8));
            }
            length++;
            if (++blockFill == 16) {
                mixBlock();
            }
        }

        private void mixBlock() {
            h1 ^= mixK1(k1);
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(k2);
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
            k1 = 0;
            k2 = 0;
            blockFill = 0;
        }

        long finish() {
            if (blockFill > 0) {
                h1 ^= mixK1(k1);
                h2 ^= mixK2(k2);
            }
            h1 ^= length;
            h2 ^= length;
            h1 += h2;
            h2 += h1;
            h1 = fmix64(h1);
            h2 = fmix64(h2);
            h1 += h2;
            return h1;
        }

        private static long mixK1(long k) {
            k *= C1;
            k = Long.rotateLeft(k, 31);
            k *= C2;
            return k;
        }

        private static long mixK2(long k) {
            k *= C2;
            k = Long.rotateLeft(k, 33);
            k *= C1;
            return k;
        }

        private static long fmix64(long k) {
            k ^= k >>> 33;
            k *= 0xff51afd7ed558ccdL;
            k ^= k >>> 33;
            k *= 0xc4ceb9fe1a85ec53L;
            k ^= k >>> 33;
            return k;
        }
    }
}
