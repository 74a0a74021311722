// @ts-check
/**
 * Creates the demo state machine `orders` (one Pass state, which returns its input) unless it exists, and prints
 * its ARN. For moto in compose.yml, or by hand against moto; against real AWS, create the state machine with your
 * usual tooling instead (README.md, "Real AWS").
 *
 * Environment: AWS_REGION, AWS_ENDPOINT_URL_SFN and credentials, as the trigger reads them.
 */
import { SFNClient, CreateStateMachineCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';

const NAME = process.env['STATE_MACHINE_NAME'] ?? 'orders';
/** moto checks only that the role is an IAM role ARN; real AWS needs one that Step Functions may assume. */
const ROLE = process.env['STATE_MACHINE_ROLE_ARN'] ?? 'arn:aws:iam::123456789012:role/sfn-orders';
const DEFINITION = { Comment: 'keygate example: returns its input', StartAt: 'Record', States: { Record: { Type: 'Pass', End: true } } };

const sfn = new SFNClient({});
const existing = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.find((m) => m.name === NAME);
const arn = existing?.stateMachineArn
  ?? (await sfn.send(new CreateStateMachineCommand({ name: NAME, roleArn: ROLE, definition: JSON.stringify(DEFINITION) }))).stateMachineArn;
process.stdout.write(`${arn}\n`);
