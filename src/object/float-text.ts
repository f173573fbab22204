/**
 * Floating-point numbers as DCMTK's tools print them, so that our dumps and XML match theirs
 * digit for digit: FL and FD through DCMTK's own ftoa (not correctly rounded), OF and OD (and
 * C's %g generally) through `printfG`.
 */

/** DCMTK's OFStandard::ftoa in %g style (no flags, no width), how it prints FL (9) and FD (17). */
export function dcmtkFloatText(value: number, precision: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value < 0 ? '-inf' : 'inf';
  return new FloatDigits(value, Math.min(precision, 39)).text;
}

/**
 * The digit generation of the BSD printf DCMTK derived its ftoa from: integer digits by repeated
 * division by ten, fraction digits by repeated multiplication, rounding on the next digit only.
 * It is not correctly rounded and, after integer digits, does not count the zeros that lead the
 * fraction, so '%.9g' of 178.07992553710938 is 178.0799255; dcm2xml and dcmdump show exactly
 * these digits. Doubles behave the same in JavaScript as in C (IEEE 754, round to nearest).
 */
class FloatDigits {
  /** Output characters; slot 0 is spare for a carry that adds a digit in front. */
  #buf: string[] = ['\0'];
  #start = 1;
  #negative: boolean;
  readonly text: string;

  constructor(value: number, precision: number) {
    this.#negative = value < 0;
    const magnitude = this.#negative ? -value : value;
    this.#convert(magnitude, precision);
    const digits = this.#buf.slice(this.#start).join('');
    this.text = (this.#negative ? '-' : '') + digits;
  }

  /** Rounds the digits before `end` up when the next digit is over 4 (or suppresses '-0'). */
  #round(fract: number, exponent: { value: number } | undefined, end: number, next: number): void {
    const buf = this.#buf;
    const digit = fract !== 0 ? Math.trunc(fract * 10) : next;
    if (digit > 4) {
      for (; ; end--) {
        if (buf[end] === '.') end--;
        const d = buf[end]!.charCodeAt(0) + 1;
        if (d <= 0x39) {
          buf[end] = String.fromCharCode(d);
          break;
        }
        buf[end] = '0';
        if (end === this.#start) {
          if (exponent) {
            buf[end] = '1';
            exponent.value++;
          } else {
            buf[end - 1] = '1';
            this.#start--;
          }
          break;
        }
      }
    } else if (this.#negative) {
      for (; ; end--) {
        if (buf[end] === '.') end--;
        if (buf[end] !== '0') break;
        if (end === this.#start) this.#negative = false;
      }
    }
  }

  #convert(value: number, precision: number): void {
    const buf = this.#buf;
    let integer = Math.trunc(value);
    let fract = value - integer;
    // Integer digits, least significant first; the .01 guards against 35.6/10 giving 3.5999...
    const integerDigits: number[] = [];
    while (integer !== 0) {
      const q = integer / 10;
      integer = Math.trunc(q);
      integerDigits.push(Math.trunc((q - integer + 0.01) * 10));
    }
    let exponent = integerDigits.length;
    let prec = precision === 0 ? 1 : precision;
    const put = (d: number): void => {
      buf.push(String.fromCharCode(0x30 + d));
    };
    const e = exponent > prec || (exponent === 0 && fract !== 0 && fract < 0.0001);
    if (!e) {
      // Fixed notation: integer digits, then up to `prec` significant digits in all.
      if (exponent > 0) {
        for (let i = integerDigits.length - 1; i >= 0; i--) {
          put(integerDigits[i]!);
          prec--;
        }
      } else {
        buf.push('0');
      }
      const dot = prec > 0;
      if (dot) buf.push('.');
      if (fract !== 0) {
        if (prec > 0) {
          let tmp: number;
          do {
            const m = fract * 10;
            tmp = Math.trunc(m);
            fract = m - tmp;
            put(tmp);
          } while (tmp === 0);
          while (--prec > 0 && fract !== 0) {
            const m = fract * 10;
            tmp = Math.trunc(m);
            fract = m - tmp;
            put(tmp);
          }
        }
        if (fract !== 0) this.#round(fract, undefined, buf.length - 1, 0);
      }
      if (dot) {
        let t = buf.length;
        while (t > this.#start && buf[--t] === '0');
        if (buf[t] !== '.') t++;
        buf.length = t;
      }
      return;
    }
    // Exponential notation: %g counts the digit before the point among the significant ones.
    prec--;
    const exp = { value: 0 };
    if (exponent > 0) {
      let i = integerDigits.length - 1;
      put(integerDigits[i--]!);
      if (prec > 0) buf.push('.');
      for (; prec > 0 && i >= 0; prec--) put(integerDigits[i--]!);
      exp.value = exponent;
      if (prec === 0 && i >= 0) {
        fract = 0;
        this.#round(0, exp, buf.length - 1, integerDigits[i]!);
      }
      exp.value--;
    } else if (fract !== 0) {
      let tmp: number;
      exponent = -1;
      for (; ; exponent--) {
        const m = fract * 10;
        tmp = Math.trunc(m);
        fract = m - tmp;
        if (tmp !== 0) break;
      }
      exp.value = exponent;
      put(tmp);
      if (prec > 0) buf.push('.');
    } else {
      buf.push('0');
      if (prec > 0) buf.push('.');
    }
    if (fract !== 0) {
      if (prec > 0) {
        do {
          const m = fract * 10;
          const tmp = Math.trunc(m);
          fract = m - tmp;
          put(tmp);
        } while (--prec > 0 && fract !== 0);
      }
      if (fract !== 0) this.#round(fract, exp, buf.length - 1, 0);
    }
    // Trailing zeros are trimmed in %g (the padding to `prec` digits would be, too).
    let t = buf.length;
    while (t > this.#start && buf[--t] === '0');
    if (buf[t] === '.') t--;
    buf.length = t + 1;
    const n = exp.value;
    buf.push('e', n < 0 ? '-' : '+');
    const abs = Math.abs(n);
    buf.push(abs > 9 ? String(abs) : `0${abs}`);
  }
}

/** C's printf('%.<precision>g'), correctly rounded: how C++ streams print OF and OD values. */
export function printfG(value: number, precision: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value < 0 ? '-inf' : 'inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponential = value.toExponential(precision - 1);
  const at = exponential.indexOf('e');
  const exponent = Number(exponential.slice(at + 1));
  if (exponent < -4 || exponent >= precision) {
    let mantissa = exponential.slice(0, at);
    if (mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
    const abs = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  let fixed = value.toFixed(precision - 1 - exponent);
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}
