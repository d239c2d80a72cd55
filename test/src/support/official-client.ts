import {
  HttpTransportType, HubConnectionBuilder, JsonHubProtocol, LogLevel, MessageType, type HubConnection, type HubMessage, type IHttpConnectionOptions, type IHubProtocol,
  type ILogger,
} from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';

export interface ClientOptions extends IHttpConnectionOptions {
  automaticReconnect?: boolean;
  /** Speak MessagePack (the official `@microsoft/signalr-protocol-msgpack`) instead of JSON. */
  messagePack?: boolean;
  /** A protocol of the test's own (such as `PingCountingJsonProtocol`); wins over `messagePack`. */
  protocol?: IHubProtocol;
}

/** The official JSON protocol, counting the Pings the server sends: keep-alive tests wait for them. */
export class PingCountingJsonProtocol extends JsonHubProtocol {
  pings = 0;

  override parseMessages(input: string, logger: ILogger): HubMessage[] {
    const messages = super.parseMessages(input, logger);
    this.pings += messages.filter((message) => message.type === MessageType.Ping).length;
    return messages;
  }
}

/** A connection built with the official `@microsoft/signalr` client, as users build it. */
export function officialClient(url: string, options: ClientOptions = {}): HubConnection {
  const { automaticReconnect, messagePack, protocol, ...http } = options;
  let builder = new HubConnectionBuilder()
    .withUrl(url, { transport: HttpTransportType.WebSockets, ...http })
    .configureLogging(process.env.SIGNALR_LOG === '1' ? LogLevel.Debug : LogLevel.None);
  if (automaticReconnect) builder = builder.withAutomaticReconnect([0, 200, 500, 1000]);
  if (protocol) builder = builder.withHubProtocol(protocol);
  else if (messagePack) builder = builder.withHubProtocol(new MessagePackHubProtocol());
  return builder.build();
}

/** Resolves with the next invocation of `method` on the client. */
export function nextCall(connection: HubConnection, method: string, timeoutMs = 5_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.off(method, handler);
      reject(new Error(`'${method}' was not received within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (...args: unknown[]): void => {
      clearTimeout(timer);
      connection.off(method, handler);
      resolve(args);
    };
    connection.on(method, handler);
  });
}

/** Resolves with the error (or undefined) the connection closes with. */
export function nextClose(connection: HubConnection, timeoutMs = 5_000): Promise<Error | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection did not close within ${timeoutMs} ms`)), timeoutMs);
    connection.onclose((error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}
