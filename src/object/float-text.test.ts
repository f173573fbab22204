import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dcmtkFloatText, printfG } from './float-text.ts';

describe('dcmtkFloatText: DCMTK 3.6.7 OFStandard::ftoa', () => {
  it('gives the digits dcmdump and dcm2xml print', () => {
    const float = (n: number) => Math.fround(n);
    // FL values of test/fixtures/pydicom/CT_small.dcm and what DCMTK prints for them.
    assert.equal(dcmtkFloatText(float(178.0799255), 9), '178.0799255');
    assert.equal(dcmtkFloatText(float(3816.21948), 9), '3816.21948');
    assert.equal(dcmtkFloatText(float(10.6006098), 9), '10.6006098');
    assert.equal(dcmtkFloatText(float(-77.2040634), 9), '-77.2040634');
    assert.equal(dcmtkFloatText(float(9.69999981), 9), '9.69999981');
    assert.equal(dcmtkFloatText(862399761.111079, 17), '862399761.11107898');
    assert.equal(dcmtkFloatText(0, 9), '0');
    assert.equal(dcmtkFloatText(-0, 9), '0');
    assert.equal(dcmtkFloatText(Number.NaN, 9), 'nan');
    assert.equal(dcmtkFloatText(Number.NEGATIVE_INFINITY, 17), '-inf');
    // Values DCMTK's dcm2xml wrote for a file holding them: not printf's digits.
    assert.equal(dcmtkFloatText(float(1e20), 9), '1.00000002e+20');
    assert.equal(dcmtkFloatText(float(7e-6), 9), '7.0000001e-06');
    assert.equal(dcmtkFloatText(float(0.0001), 9), '9.99999975e-05');
    assert.equal(dcmtkFloatText(float(999999999), 9), '1e+09');
    assert.equal(dcmtkFloatText(1e-10, 17), '1e-10');
    assert.equal(dcmtkFloatText(123456789012345680000, 17), '1.234567890123457e+20');
    assert.equal(dcmtkFloatText(-2.5e-300, 17), '-2.4999999999999982e-300');
    assert.equal(dcmtkFloatText(5.00000001, 17), '5.00000000999999993922529');
    assert.equal(dcmtkFloatText(Math.PI, 17), '3.1415926535897931');
    assert.equal(dcmtkFloatText(1e17 - 16, 17), '99999999999999970');
    assert.equal(dcmtkFloatText(1.7976931348623157e308, 17), '1.7976931348623167e+308');
  });
});

describe("printfG: C's %g", () => {
  it('rounds correctly, drops trailing zeros, writes exponents with two digits at least', () => {
    assert.equal(printfG(0.1, 9), '0.1');
    assert.equal(printfG(Math.fround(0.1), 9), '0.100000001');
    assert.equal(printfG(1e20, 17), '1e+20');
    assert.equal(printfG(1.5e-7, 9), '1.5e-07');
    assert.equal(printfG(123456789, 9), '123456789');
    assert.equal(printfG(1234567890, 9), '1.23456789e+09');
    assert.equal(printfG(-0, 9), '-0');
    assert.equal(printfG(Number.NaN, 9), 'nan');
  });
});
