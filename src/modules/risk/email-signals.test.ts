import { describe, expect, it } from 'vitest';
import { emailSignals, isDisposableDomain, looksRandomLocalPart, nameLikeness } from './email-signals.js';
import { seededRandom } from './simulation/traffic-simulator.js';

const firstNames = [
  'maria',
  'john',
  'priya',
  'wei',
  'olga',
  'kwame',
  'francois',
  'hiroshi',
  'agnieszka',
  'mateo',
  'fatima',
  'bjorn',
  'chloe',
  'dmitri',
  'lucia',
];
const lastNames = [
  'lopez',
  'smith',
  'nguyen',
  'kowalczyk',
  'schneider',
  'okafor',
  'takahashi',
  'oliveira',
  'ivanov',
  'murphy',
  'dubois',
  'zhang',
  'strzelczyk',
  'patel',
  'hansen',
];

describe('e-mail signals', () => {
  it('knows disposable domains from the maintained list, subdomains included, case-insensitively', () => {
    expect(
      ['mailinator.com', 'guerrillamail.com', 'yopmail.com', 'x.sharklasers.com', 'MailDrop.CC'].map(
        isDisposableDomain,
      ),
    ).toEqual([true, true, true, true, true]);
    expect(
      ['gmail.com', 'outlook.com', 'proton.me', 'co.uk', 'example.com', 'company.de'].map(isDisposableDomain),
    ).toEqual([false, false, false, false, false, false]);
  });

  it('tells chosen local parts from machine-made ones', () => {
    const chosen = [
      'maria.lopez84',
      'jsmith',
      'j_smith1990',
      'kimberly.w',
      'anna-maria',
      'li.wei',
      'schwarzkopf',
      'krzysztof.nowak',
      'lynn',
      'john+shop',
      'xu88',
      'ahmed1985',
      'o.brien',
      'mike2024',
      'lucas.4471',
    ];
    expect(chosen.filter(looksRandomLocalPart)).toEqual([]);
    const machine = [
      'xk7qz2mw',
      'a8f3k2l9x',
      'qhxzmvte',
      'jdhf83jd',
      'wqpzlrtk',
      '8f14e45fceea167a',
      'k3j9x0qwe2',
      'zxcvbnmq',
      'carmen14768',
      'oliver554122',
    ];
    expect(machine.filter((m) => !looksRandomLocalPart(m))).toEqual([]);
    expect(nameLikeness('mariagarcia')).toBeGreaterThan(nameLikeness('qhxzmvtewk'));
  });

  it('catches most random strings and almost no name-based addresses', () => {
    const rnd = seededRandom(2024);
    const draw = (alphabet: string, n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    const rate = (alphabet: string, n: number) =>
      Array.from({ length: 2000 }, () => draw(alphabet, n)).filter(looksRandomLocalPart).length / 2000;
    expect(rate('abcdefghijklmnopqrstuvwxyz', 10)).toBeGreaterThan(0.8);
    expect(rate('abcdefghijklmnopqrstuvwxyz0123456789', 10)).toBeGreaterThan(0.85);
    const names: string[] = [];
    for (const f of firstNames) {
      for (const l of lastNames)
        names.push(
          `${f}.${l}`,
          `${f}${l}`,
          `${f[0]}${l}`,
          `${f}_${l}${Math.floor(rnd() * 100)}`,
          `${l}.${f}`,
          `${f}${l[0]}${Math.floor(rnd() * 1000)}`,
        );
    }
    expect(names.filter(looksRandomLocalPart).length / names.length).toBeLessThan(0.01);
  });

  it('judges an ingested event by its domain alone, and nothing without an address', () => {
    expect(emailSignals('qhxzmvte@mailinator.com', null)).toEqual({ disposable: true, randomLocal: true });
    expect(emailSignals('maria.lopez84@gmail.com', null)).toEqual({ disposable: false, randomLocal: false });
    expect(emailSignals(null, 'yopmail.com')).toEqual({ disposable: true, randomLocal: false });
    expect(emailSignals(null, null)).toEqual({ disposable: false, randomLocal: false });
  });
});
