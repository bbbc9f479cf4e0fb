/**
 * Binding an RtpEndpoint's UDP sockets: RTP on `rtpPort` with RTCP on rtpPort + 1 (RFC 3550 §11),
 * or the one RTP socket when RTCP is multiplexed on it (rtcp-mux, RFC 5761). Either both bind or
 * neither stays open: a taken RTCP port closes the RTP socket before the error is thrown.
 */
import { createSocket, type Socket } from 'node:dgram';

function bindSocket(port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    const onError = (err: Error) => { s.close(); reject(err); };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

/** Bind RTP (port 0: the kernel picks) and, unless `mux`, RTCP next to it. Throws (EADDRINUSE …) when a port is taken. */
export async function bindRtpSockets(rtpPort: number, address: string, mux: boolean): Promise<{ rtp: Socket; rtcp: Socket | undefined }> {
  const rtp = await bindSocket(rtpPort, address);
  let rtcp: Socket | undefined;
  if (!mux) {
    try {
      rtcp = await bindSocket(rtpPort === 0 ? 0 : rtpPort + 1, address);
    } catch (err) {
      rtp.close();
      throw err;
    }
  }
  return { rtp, rtcp };
}
