import { randomBytes, timingSafeEqual } from 'node:crypto';
import net, { type Socket } from 'node:net';
import { RltaskError } from '../errors.ts';

/** Where the reads of a channel go: `target` is asked for the memory of each read, `received` is told how much arrived. */
export interface ChannelSink {
  target(): Uint8Array;
  received(bytes: number, into: Uint8Array): void;
}

const TOKEN_BYTES = 16;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A connected pair of UNIX stream sockets for a child's protocol channel: `theirs` to pass as the child's fd 3
 * (spawn's stdio; then destroyed here), `ours` whose reads go straight into the memory `sink` names (net.Socket's
 * `onread`) instead of a fresh buffer per read — memory that a fork of this process write-protects, which cost a
 * page fault per page read after every spawn. Node cannot make a socketpair, hence a listener on a random abstract
 * name that accepts one connection: the one that sends the random token first, so a process that raced to connect
 * gets nothing (it would be refused before a child saw it).
 *
 * `theirs` is non-blocking (the flag belongs to the open socket, which the child shares): the child's program must
 * make it blocking itself (the Python zygote does).
 */
export async function openChannel(sink: ChannelSink): Promise<{ ours: Socket; theirs: Socket }> {
  const name = `\0rltask-channel-${process.pid}-${randomBytes(12).toString('hex')}`;
  const token = randomBytes(TOKEN_BYTES);
  const server = net.createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(name, () => resolve());
    });
    const others = new Set<Socket>();
    const theirs = new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RltaskError('E_INTERNAL', 'could not connect the sandbox channel')), CONNECT_TIMEOUT_MS);
      server.on('connection', (socket) => {
        others.add(socket);
        // Exactly the token: read(n) gives n bytes once that many have arrived (fewer only at the stream's end).
        const onReadable = (): void => {
          const got: unknown = socket.read(TOKEN_BYTES);
          if (got === null) return;
          socket.off('readable', onReadable);
          if (!(got instanceof Buffer) || got.length !== TOKEN_BYTES || !timingSafeEqual(got, token)) {
            socket.destroy();
            return;
          }
          socket.pause();
          clearTimeout(timer);
          others.delete(socket);
          resolve(socket);
        };
        socket.on('error', () => undefined);
        socket.on('readable', onReadable);
      });
    });
    const ours = net.connect({ path: name, onread: { buffer: () => sink.target(), callback: (bytes, into) => (sink.received(bytes, into), true) } });
    await new Promise<void>((resolve, reject) => {
      ours.once('connect', () => resolve());
      ours.once('error', reject);
    });
    // Errors after the connection (the child gone) are reported by the sandbox as the child's end.
    ours.on('error', () => undefined);
    ours.write(token);
    try {
      return { ours, theirs: await theirs };
    } catch (e) {
      ours.destroy();
      throw e;
    } finally {
      for (const other of others) other.destroy();
    }
  } finally {
    server.close();
  }
}
