import type { ServerInfo } from '../server-info.js';
import type { TradeEnvelope, TradeEventInput } from './events.js';
import type { GetHistoryRequest, HistoryResult, OrderCloseRequest, OrderModifyRequest, OrderSendRequest, TradeResult } from './terminal.js';
import type { SubscribeOptions } from './market-data.js';
import type {
  ConnectionStatus, PublishResult, ResumePositions, ResyncNotice, SubscribeResult, TokenRenewal, TopicPosition, TopicStreamItem,
  TradeClientMethod, TradeHubMethod,
} from './hub-contract.js';

/** What `GetMyAccess()` answers: what the caller's token grants, whatever its kind. */
export interface MyAccess {
  subject: string;
  kind: 'client' | 'manager' | 'terminal';
  organization: string;
  scopes: string[];
  platforms: string[];
  /** The logins a terminal token is restricted to; null for every login of its platforms. */
  logins: string[] | null;
  /** When the token stops being valid (UTC ms); null for tokens that never expire. */
  expiresAt: number | null;
}

/** One platform of `GetPlatforms()`. */
export interface PlatformInfo {
  id: string;
  name: string;
  kind: 'mt4' | 'mt5';
}

/**
 * Every invocable method of the trade hub with its arguments and result: the one typed map that
 * the server's handlers and the typed client are checked against, so that a change of a method
 * breaks their builds rather than a caller at run time.
 */
export interface TradeHubInvocations {
  GetServerInfo: { args: []; result: ServerInfo };
  /** Null only for an unauthenticated caller, which the trade hub never has. */
  GetMyAccess: { args: []; result: MyAccess | null };
  GetPlatforms: { args: []; result: PlatformInfo[] };
  /** `options` (see `SubscribeOptions`) apply to every topic of the call; omitted, the topics get every event. */
  Subscribe: { args: [topics: string[], resume?: ResumePositions, options?: SubscribeOptions]; result: SubscribeResult[] };
  Unsubscribe: { args: [topics: string[]]; result: void };
  Publish: { args: [events: TradeEventInput[]]; result: PublishResult };
  OrderSend: { args: [platform: string, login: string, request: OrderSendRequest]; result: TradeResult };
  OrderModify: { args: [platform: string, login: string, request: OrderModifyRequest]; result: TradeResult };
  OrderClose: { args: [platform: string, login: string, request: OrderCloseRequest]; result: TradeResult };
  GetHistory: { args: [platform: string, login: string, request: GetHistoryRequest]; result: HistoryResult };
  RenewToken: { args: [accessToken: string]; result: TokenRenewal };
}

/** Server-to-client streaming methods: their arguments and the type of each streamed item. */
export interface TradeHubStreams {
  StreamTopic: { args: [topic: string, resume?: TopicPosition]; item: TopicStreamItem };
}

/** Methods that take a client stream: the type of each item the client sends, and the result. */
export interface TradeHubUploads {
  PublishStream: { item: TradeEventInput; result: number };
}

/** Client methods the trade hub invokes, with their arguments. */
export interface TradeClientCallbacks {
  OnEvent: [envelope: TradeEnvelope];
  OnConnectionStatus: [status: ConnectionStatus];
  OnResync: [notice: ResyncNotice];
}

export type TradeHubInvocationName = keyof TradeHubInvocations;
export type TradeHubArgs<M extends TradeHubInvocationName> = TradeHubInvocations[M]['args'];
export type TradeHubResult<M extends TradeHubInvocationName> = TradeHubInvocations[M]['result'];

/** Each method name of `TradeHubMethod` is typed exactly once across the three maps, and nothing else is. */
type AllTyped = keyof TradeHubInvocations | keyof TradeHubStreams | keyof TradeHubUploads;
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const hubMethodsAreTyped: Exactly<AllTyped, keyof typeof TradeHubMethod> = true;
const clientMethodsAreTyped: Exactly<keyof TradeClientCallbacks, keyof typeof TradeClientMethod> = true;
void hubMethodsAreTyped;
void clientMethodsAreTyped;
