import { DeploymentNamespace, senderDomain } from './deployment-namespace';

const identity = { name: 'conduit', database_oid: '16384', outbox_oid: '16500', cluster: '7716581607525578873' };

describe('DeploymentNamespace', () => {
  it('names every key of a deployment under one prefix, and its queues under a hash tag of it', () => {
    const namespace = DeploymentNamespace.of(identity);
    expect(namespace.prefix).toMatch(/^conduit:conduit:[0-9a-f]{12}$/);
    expect(namespace.key('mail-sent', '<welcome.1@x>')).toBe(`${namespace.prefix}:mail-sent:<welcome.1@x>`);
    expect(namespace.queuePrefix).toBe(`{${namespace.prefix}}`);
  });

  it('differs when the cluster, the database or the schema is another one, even under the same name', () => {
    const tags = [
      identity,
      { ...identity, cluster: '7716581607525578874' },
      { ...identity, database_oid: '16385' },
      { ...identity, outbox_oid: '16501' },
    ].map((each) => DeploymentNamespace.of(each).prefix);
    expect(new Set(tags).size).toBe(4);
    expect(DeploymentNamespace.of({ ...identity }).prefix).toBe(tags[0]);
  });

  it('builds message ids of RFC 5322 shape, unique to the deployment', () => {
    const one = DeploymentNamespace.of(identity).messageId('welcome.42', 'conduit.example');
    const other = DeploymentNamespace.of({ ...identity, database_oid: '1' }).messageId('welcome.42', 'conduit.example');
    // msg-id = "<" dot-atom-text "@" dot-atom-text ">"
    expect(one).toMatch(/^<welcome\.42\.[0-9a-f]{12}@conduit\.example>$/);
    expect(one).not.toBe(other);
  });

  it('takes the right-hand side of message ids from the sender address', () => {
    expect(senderDomain('Conduit <no-reply@conduit.example>')).toBe('conduit.example');
    expect(senderDomain('no-reply@mail.example.org')).toBe('mail.example.org');
    expect(senderDomain('Conduit <not an address>')).toBe('conduit.local');
  });
});
