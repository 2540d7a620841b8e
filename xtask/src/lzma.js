// The page's LZMA decoder (xtask/src/wasm.rs puts it, minified, in the page's first script): it
// decodes the main module's `.wasm.lzma` copy while it downloads, so the compiler gets the wasm as
// it arrives, as with a streamed `.wasm`. The browser's DecompressionStream has only gzip and
// deflate; LZMA makes the app's first load about 18 % smaller than zopfli's gzip.
//
// The "LZMA alone" format (`xz --format=lzma`): a properties byte (lc, lp, pb), the dictionary
// size (4 bytes), the decoded size (8 bytes, little-endian; it must be known), then the range
// coder's stream. After the LZMA SDK's reference decoder (LzmaSpec.cpp, public domain), the
// window being the whole output.
//
// `sfLzma()` returns a decoder: `push(bytes)` takes the next bytes of the file and returns what
// could be decoded so far (a new Uint8Array, maybe empty); `end()` decodes the rest and returns
// it, and throws if the file was cut short or is not what the encoder wrote.
function sfLzma() {
    // Where each group of probabilities starts in one array.
    const IS_MATCH = 0, IS_REP = 192, IS_REP_G0 = 204, IS_REP_G1 = 216, IS_REP_G2 = 228,
        IS_REP0_LONG = 240, POS_SLOT = 432, POS = 688, ALIGN = 803, LEN = 819, REP_LEN = 1333,
        LIT = 1847;
    // A symbol reads at most about 50 bytes: decode one only with this much input in hand, until
    // the file has ended.
    const MARGIN = 64;
    let inp = new Uint8Array(1 << 16), have = 0, ip = 0;
    let out = null, op = 0, size = 0;
    let lc = 0, lp = 0, pb = 0, probs = null;
    // The range coder's range and code, in [0, 2^32): kept in a Float64Array rather than in
    // variables the functions below share, where each value above 2^30 would be a boxed number
    // (about 30 % faster to decode, cold or warm, in node).
    const rc = new Float64Array([0xFFFFFFFF, 0]);
    let state = 0, rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0;
    const bad = (why) => { throw new Error('the LZMA copy of the app is damaged: ' + why); };

    const bit = (i) => {
        const p = probs[i];
        let range = rc[0], code = rc[1];
        const bound = (range >>> 11) * p;
        let b;
        if (code < bound) {
            range = bound;
            probs[i] = p + ((2048 - p) >>> 5);
            b = 0;
        } else {
            range -= bound;
            code -= bound;
            probs[i] = p - (p >>> 5);
            b = 1;
        }
        if (range < 16777216) {
            range *= 256;
            code = code * 256 + inp[ip++];
        }
        rc[0] = range;
        rc[1] = code;
        return b;
    };
    const direct = (n) => {
        let r = 0, range = rc[0], code = rc[1];
        while (n-- > 0) {
            range >>>= 1;
            let b = 0;
            if (code >= range) {
                code -= range;
                b = 1;
            }
            r = r * 2 + b;
            if (range < 16777216) {
                range *= 256;
                code = code * 256 + inp[ip++];
            }
        }
        rc[0] = range;
        rc[1] = code;
        return r;
    };
    const tree = (base, n) => {
        let m = 1;
        for (let i = 0; i < n; i++) m = (m << 1) | bit(base + m);
        return m - (1 << n);
    };
    const reverse = (base, n) => {
        let m = 1, s = 0;
        for (let i = 0; i < n; i++) {
            const b = bit(base + m);
            m = (m << 1) | b;
            s |= b << i;
        }
        return s;
    };
    const length = (base, posState) => {
        if (!bit(base)) return tree(base + 2 + (posState << 3), 3);
        if (!bit(base + 1)) return 8 + tree(base + 130 + (posState << 3), 3);
        return 16 + tree(base + 258, 8);
    };
    const distance = (len) => {
        const slot = tree(POS_SLOT + ((len < 3 ? len : 3) << 6), 6);
        if (slot < 4) return slot;
        const n = (slot >>> 1) - 1;
        // A shift while it fits in 31 bits (every distance of a file under 1 GB).
        const d = n < 30 ? (2 | (slot & 1)) << n : (2 | (slot & 1)) * 1073741824;
        if (slot < 14) return d + reverse(POS + d - slot, n);
        return d + direct(n - 4) * 16 + reverse(ALIGN, 4);
    };
    const symbol = () => {
        const posState = op & ((1 << pb) - 1);
        if (!bit(IS_MATCH + (state << 4) + posState)) {
            const prev = op > 0 ? out[op - 1] : 0;
            const base = LIT + 0x300 * (((op & ((1 << lp) - 1)) << lc) + (prev >>> (8 - lc)));
            let s = 1;
            if (state >= 7) {
                let match = out[op - rep0 - 1];
                do {
                    const m = (match >>> 7) & 1;
                    match <<= 1;
                    const b = bit(base + ((1 + m) << 8) + s);
                    s = (s << 1) | b;
                    if (m !== b) break;
                } while (s < 256);
            }
            while (s < 256) s = (s << 1) | bit(base + s);
            out[op++] = s - 256;
            state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
            return;
        }
        let len;
        if (bit(IS_REP + state)) {
            if (op === 0) bad('a repeated match before any byte');
            if (!bit(IS_REP_G0 + state)) {
                if (!bit(IS_REP0_LONG + (state << 4) + posState)) {
                    state = state < 7 ? 9 : 11;
                    out[op] = out[op - rep0 - 1];
                    op++;
                    return;
                }
            } else {
                let d;
                if (!bit(IS_REP_G1 + state)) {
                    d = rep1;
                } else {
                    if (!bit(IS_REP_G2 + state)) {
                        d = rep2;
                    } else {
                        d = rep3;
                        rep3 = rep2;
                    }
                    rep2 = rep1;
                }
                rep1 = rep0;
                rep0 = d;
            }
            len = length(REP_LEN, posState);
            state = state < 7 ? 8 : 11;
        } else {
            rep3 = rep2;
            rep2 = rep1;
            rep1 = rep0;
            len = length(LEN, posState);
            state = state < 7 ? 7 : 10;
            rep0 = distance(len);
        }
        len += 2;
        if (rep0 >= op) bad('a match reaching before the start');
        if (len > size - op) bad('more bytes than the header says');
        for (; len > 0; len--, op++) out[op] = out[op - rep0 - 1];
    };
    const run = (ended) => {
        if (out === null) {
            if (have < 18) {
                if (ended) bad('shorter than its header');
                return;
            }
            let d = inp[0];
            if (d >= 225) bad('unknown properties');
            lc = d % 9;
            d = (d / 9) | 0;
            lp = d % 5;
            pb = (d / 5) | 0;
            if (inp[9] | inp[10] | inp[11] | inp[12]) bad('no decoded size in the header');
            size = inp[5] + inp[6] * 256 + inp[7] * 65536 + inp[8] * 16777216;
            out = new Uint8Array(size);
            probs = new Uint16Array(LIT + (0x300 << (lc + lp))).fill(1024);
            if (inp[13] !== 0) bad('the stream does not start with 0');
            rc[1] = inp[14] * 16777216 + inp[15] * 65536 + inp[16] * 256 + inp[17];
            ip = 18;
        }
        while (op < size && (ended || have - ip >= MARGIN)) symbol();
        if (ended && (ip > have || rc[1] !== 0)) bad('cut short or corrupt');
    };
    return {
        push(bytes) {
            if (have + bytes.length > inp.length) {
                const grown = new Uint8Array(Math.max(inp.length * 2, have + bytes.length));
                grown.set(inp.subarray(0, have));
                inp = grown;
            }
            inp.set(bytes, have);
            have += bytes.length;
            const from = op;
            run(false);
            return out === null ? new Uint8Array(0) : out.slice(from, op);
        },
        end() {
            const from = op;
            run(true);
            return out.slice(from, op);
        },
    };
}
