import type { HubOptions } from '../hub/hub-options.js';
import type { LimitsConfig } from './config-schema.js';

/** Which hub option each setting of the configuration's `limits` stands for. */
const HUB_OPTION_OF = {
  messageSizeBytes: 'maximumReceiveMessageSize',
  webSocketFrameAllowanceBytes: 'webSocketFrameAllowanceBytes',
  parallelInvocationsPerConnection: 'maximumParallelInvocationsPerClient',
  queuedInvocationsPerConnection: 'maximumQueuedInvocationsPerClient',
  outboundBufferBytes: 'maximumBufferedBytesPerClient',
  clientStreamsPerConnection: 'maximumClientStreamsPerClient',
  clientStreamBufferItems: 'clientStreamBufferCapacity',
  groupsPerConnection: 'maximumGroupsPerConnection',
  groupNameLength: 'maximumGroupNameLength',
} as const satisfies Partial<Record<keyof LimitsConfig, keyof HubOptions>>;

/** The hub options a configuration's `limits` sets; those it leaves out keep their defaults. */
export function hubLimitsOf(limits: LimitsConfig): Partial<HubOptions> {
  const options: Partial<HubOptions> = {};
  for (const [setting, option] of Object.entries(HUB_OPTION_OF) as Array<[keyof typeof HUB_OPTION_OF, keyof HubOptions & string]>) {
    const value = limits[setting];
    if (value !== undefined) Object.assign(options, { [option]: value });
  }
  return options;
}
