import type {
  AccountView, OrganizationInfo, PlatformEventInput, PlatformListing, PlatformPing, PublishResult,
} from '@tradehub/shared';
import { MalformedServerMessageError } from '../errors.js';
import { apiRequest, type ApiContext } from './authorized-request.js';

/**
 * The REST API, typed from the shared contracts (`client.rest`). Each call throws
 * `HttpApiError` with the server's `{error, error_description}` on an error status.
 */
export class RestApi {
  constructor(private readonly context: ApiContext) {}

  /** `GET /api/organizations`: the caller's organization. */
  organizations(): Promise<OrganizationInfo[]> {
    return this.get('/api/organizations', isArray);
  }

  /** `GET /api/platforms`: the platforms the token reaches. */
  platforms(): Promise<PlatformListing[]> {
    return this.get('/api/platforms', isArray);
  }

  /** `POST /api/platforms/{id}/events`: publishes events to one platform (their platformId may be left out). */
  async publish(platformId: string, events: readonly PlatformEventInput[]): Promise<PublishResult> {
    const answer = await apiRequest(this.context, 'POST', `/api/platforms/${encodeURIComponent(platformId)}/events`, { events });
    return checked<PublishResult>(answer.json, (body) => isObject(body) && Array.isArray(body.results), 'publish answer');
  }

  /** `GET /api/platforms/{id}/ping`: the platform's status (null before any `platform.status` event). */
  ping(platformId: string): Promise<PlatformPing> {
    return this.get(`/api/platforms/${encodeURIComponent(platformId)}/ping`, (body) => isObject(body) && 'status' in body);
  }

  /** `GET /api/platforms/{id}/accounts/{login}`: an account's state and the topic position it reflects. */
  account(platformId: string, login: string): Promise<AccountView> {
    return this.get(
      `/api/platforms/${encodeURIComponent(platformId)}/accounts/${encodeURIComponent(login)}`,
      (body) => isObject(body) && Array.isArray(body.positions) && Array.isArray(body.orders),
    );
  }

  private async get<T>(path: string, looksRight: (body: unknown) => boolean): Promise<T> {
    const answer = await apiRequest(this.context, 'GET', path);
    return checked<T>(answer.json, looksRight, `answer of ${path}`);
  }
}

function checked<T>(body: unknown, looksRight: (body: unknown) => boolean, what: string): T {
  if (!looksRight(body)) throw new MalformedServerMessageError(what, 'it does not have the shape of the shared contract');
  return body as T;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArray(value: unknown): boolean {
  return Array.isArray(value);
}
